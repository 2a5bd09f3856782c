"""The platform's DCAT-AP catalogue: rdflib only, no Flask, no database (see docs/dcat.md).

The web layer and the ``export-dcat`` command collect the published datasets as plain dataclasses
(:class:`CatalogInfo`, :class:`Agent`, :class:`DatasetInfo`), :func:`build_graph` turns them into a
DCAT-AP 3.0.0 graph, :func:`serialize` writes it as Turtle, JSON-LD, RDF/XML or N-Triples and
:func:`negotiate` picks the format from an ``Accept`` header. Bad input raises :class:`CatalogError`.
"""

from __future__ import annotations

from pilots.dcat.build import agent_problems, build_graph, catalog_problems, dataset_problems
from pilots.dcat.errors import CatalogError
from pilots.dcat.formats import DEFAULT_FORMAT, FORMATS, Format, format_name, negotiate, serialize
from pilots.dcat.model import Agent, CatalogInfo, DatasetInfo, DistributionInfo
from pilots.dcat.uris import UriScheme, is_web_uri
from pilots.dcat.vocab import LOCAL_AUTHORITY, REGIONAL_AUTHORITY

__all__ = [
    "DEFAULT_FORMAT",
    "FORMATS",
    "LOCAL_AUTHORITY",
    "REGIONAL_AUTHORITY",
    "Agent",
    "CatalogError",
    "CatalogInfo",
    "DatasetInfo",
    "DistributionInfo",
    "Format",
    "UriScheme",
    "agent_problems",
    "build_graph",
    "catalog_problems",
    "dataset_problems",
    "format_name",
    "is_web_uri",
    "negotiate",
    "serialize",
]
