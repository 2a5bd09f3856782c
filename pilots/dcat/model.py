"""The plain input of the catalogue builder: what the web layer or the CLI passes in.

Texts are ``{language tag: text}`` mappings such as ``{"nl": "Parkeerbezetting", "en": "Car-park
occupancy"}``; an empty or blank text is simply left out. Codes are those of the EU authority tables
(``TRAN``, ``CONT``, ``JSON_LD``, ``NLD``); URIs are absolute ``http(s)`` URIs. The dataclasses do not check
themselves: :func:`pilots.dcat.build_graph` checks everything at once and reports every problem.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from pilots.dcat.vocab import LOCAL_AUTHORITY

Texts = Mapping[str, str]
When = date | datetime  # a datetime must be timezone-aware


@dataclass(frozen=True, kw_only=True)
class Agent:
    """A publisher: a city, or the organisation behind the platform (``foaf:Agent``)."""

    uri: str
    name: Texts
    #: An ADMS publisher type URI (see ``pilots.dcat.vocab.PUBLISHER_TYPES``); ``None`` leaves it out.
    type_uri: str | None = LOCAL_AUTHORITY
    email: str | None = None
    homepage: str | None = None


@dataclass(frozen=True, kw_only=True)
class DistributionInfo:
    """A further distribution of a dataset (for example the history of a real-time dataset).

    The dataset's own ``access_url``/``download_url``/``file_type_code`` make its first distribution.
    ``licence_uri`` ``None`` means the dataset's licence. Empty ``title``/``description`` are generated.
    """

    access_url: str | None
    download_url: str | None = None
    file_type_code: str | None = None
    media_type: str | None = None  # an IANA media type such as "application/ld+json"; derived from the file type when None
    licence_uri: str | None = None
    title: Texts = field(default_factory=dict)
    description: Texts = field(default_factory=dict)
    availability_code: str | None = "STABLE"
    uri: str | None = None  # default: the dataset URI + "#distribution-<n>"


@dataclass(frozen=True, kw_only=True)
class DatasetInfo:
    """One published dataset (``dcat:Dataset``) with its distribution."""

    uri: str
    title: Texts
    description: Texts
    publisher: Agent
    access_url: str | None  # mandatory in DCAT-AP: a dataset without one is refused
    contact_email: str | None = None
    keywords: Sequence[tuple[str, str]] = ()  # (text, language tag)
    theme_code: str | None = None
    download_url: str | None = None
    file_type_code: str | None = None
    media_type: str | None = None
    licence_uri: str | None = None
    conforms_to: str | None = None  # a standard's URI, or its name ("DATEX II")
    frequency_code: str | None = None
    realtime: bool = False
    issued: When | None = None
    modified: When | None = None
    language_codes: Sequence[str] = ()  # of the data: EU codes ("NLD") or BCP 47 tags ("nl")
    landing_page: str | None = None
    spatial_uris: Sequence[str] = ()  # places covered, e.g. https://data.vlaanderen.be/id/gemeente/44021
    distribution_title: Texts = field(default_factory=dict)
    distribution_description: Texts = field(default_factory=dict)
    availability_code: str | None = "STABLE"
    extra_distributions: Sequence[DistributionInfo] = ()


@dataclass(frozen=True, kw_only=True)
class CatalogInfo:
    """The catalogue itself (``dcat:Catalog``)."""

    uri: str
    title: Texts
    description: Texts
    publisher: Agent
    homepage: str | None = None
    language_codes: Sequence[str] = ("NLD", "ENG")  # of the metadata
    issued: When | None = None
    modified: When | None = None  # None: the latest issued/modified date of its datasets
    licence_uri: str | None = None  # of the catalogue's metadata
    spatial_uris: Sequence[str] = ()
