"""Serialisations parse back to the same graph; content negotiation picks the right one."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from rdflib import Graph
from rdflib.compare import isomorphic

from pilots.dcat import FORMATS, CatalogError, build_graph, format_name, negotiate, serialize
from tests.dcat.parking import catalog_info, parking_dataset, parking_datasets

PROJECT = Path(__file__).resolve().parents[2]
RDFLIB_NAMES = {"turtle": "turtle", "json-ld": "json-ld", "rdf/xml": "xml", "n-triples": "nt"}


@pytest.fixture(scope="module")
def graph() -> Graph:
    # one dataset refers to a standard known only by name, so a blank node is in the graph too
    datasets = [
        *parking_datasets(),
        parking_dataset("leuven", uri="https://datapilots.example.org/datasets/5", conforms_to="OSLO Mobiliteit"),
    ]
    return build_graph(catalog_info(), datasets)


@pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")  # inside rdflib's JSON-LD parser
@pytest.mark.parametrize("name", list(FORMATS))
def test_each_serialisation_parses_back_to_the_same_graph(graph, name):
    data, media_type = serialize(graph, name)
    assert isinstance(data, bytes)
    assert media_type == FORMATS[name].media_type
    parsed = Graph().parse(data=data.decode("utf-8"), format=RDFLIB_NAMES[name])
    assert len(parsed) == len(graph)
    assert isomorphic(parsed, graph)


def test_media_types_and_extensions():
    assert {name: (f.media_type, f.extension) for name, f in FORMATS.items()} == {
        "turtle": ("text/turtle", "ttl"),
        "json-ld": ("application/ld+json", "jsonld"),
        "rdf/xml": ("application/rdf+xml", "rdf"),
        "n-triples": ("application/n-triples", "nt"),
    }


def test_json_ld_is_compact_with_the_prefixes():
    document = json.loads(serialize(build_graph(catalog_info(), [parking_dataset("gent")]), "json-ld")[0])
    assert document["@context"]["dcat"] == "http://www.w3.org/ns/dcat#"
    types = {node["@id"]: node["@type"] for node in document["@graph"] if "@type" in node}
    assert types["https://datapilots.example.org/catalog"] == "dcat:Catalog"


def test_turtle_keeps_non_ascii_text():
    dataset = parking_dataset("gent", description={"nl": "Parkings in Gent: één overzicht, ‘realtime’.", "en": ""})
    data, _ = serialize(build_graph(catalog_info(), [dataset]), "turtle")
    assert "één overzicht, ‘realtime’".encode() in data


SCRIPT = """
import hashlib, sys
sys.path.insert(0, {project!r})
from pilots.dcat import build_graph, serialize
from tests.dcat.parking import catalog_info, parking_dataset, parking_datasets
datasets = [*parking_datasets(), parking_dataset("leuven", uri="https://datapilots.example.org/datasets/5", conforms_to="OSLO Mobiliteit")]
graph = build_graph(catalog_info(), datasets)
print(" ".join(hashlib.sha256(serialize(graph, f)[0]).hexdigest() for f in ("turtle", "json-ld", "rdf/xml", "n-triples")))
"""


def test_the_bytes_do_not_depend_on_the_process():
    """Same data, same bytes, whatever Python's hash seed (each web worker must give the same ETag)."""
    outputs = set()
    for seed in ("1", "2", "3"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        result = subprocess.run(
            [sys.executable, "-c", SCRIPT.format(project=str(PROJECT))],
            cwd=PROJECT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr[-2000:]
        outputs.add(result.stdout)
    assert len(outputs) == 1


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("turtle", "turtle"),
        ("TTL", "turtle"),
        ("json-ld", "json-ld"),
        ("jsonld", "json-ld"),
        ("rdf", "rdf/xml"),
        ("xml", "rdf/xml"),
        ("application/rdf+xml", "rdf/xml"),
        ("nt", "n-triples"),
        ("n-triples", "n-triples"),
    ],
)
def test_format_names_and_aliases(value, expected):
    assert format_name(value) == expected


def test_an_unknown_format_is_refused():
    with pytest.raises(CatalogError, match="unknown format 'csv'"):
        serialize(Graph(), "csv")


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, "turtle"),
        ("", "turtle"),
        ("*/*", "turtle"),
        ("text/turtle", "turtle"),
        ("application/ld+json", "json-ld"),
        ("application/json", "json-ld"),
        ("application/rdf+xml", "rdf/xml"),
        ("application/n-triples", "n-triples"),
        ("text/turtle;q=0.5, application/ld+json;q=0.9", "json-ld"),
        ("application/ld+json;q=0.2, application/rdf+xml;q=0.8, */*;q=0.1", "rdf/xml"),
        ("application/ld+json, text/turtle", "json-ld"),  # equal quality: the client's first choice
        ("text/turtle, application/ld+json", "turtle"),
        ("application/*", "json-ld"),  # the server's first application/ format
        ("text/*;q=0.3, application/n-triples;q=0.4", "n-triples"),
        ("*/*;q=0.1, text/turtle;q=0", "json-ld"),  # q=0 refuses Turtle even though */* would allow it
        ("text/turtle;q=0, */*", "json-ld"),
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "turtle"),  # a browser
        ("TEXT/Turtle; charset=utf-8", "turtle"),
        ('application/ld+json; profile="http://www.w3.org/ns/json-ld#compacted"; q=0.7, text/turtle;q=0.6', "json-ld"),
        ("text/turtle;q=abc, application/ld+json;q=0.1", "json-ld"),  # a malformed q is ignored with its range
        ("garbage, ,;q=1", "turtle"),
    ],
)
def test_negotiate(accept, expected):
    assert negotiate(accept) == expected


def test_negotiate_with_nothing_acceptable():
    assert negotiate("text/html") == "turtle"
    assert negotiate("text/html", default=None) is None
    assert negotiate("text/turtle;q=0", default=None) is None
    assert negotiate(None, default=None) is None


def test_turtle_writer_escapes_awkward_text_and_keeps_every_triple():
    """The platform writes Turtle itself (rdflib's writer is quadratic in the number of datasets): quotes,
    backslashes, new lines, non-ASCII and IRIs outside the known vocabularies all survive a parse."""
    awkward = 'Line one\nline "two" with \\ backslash, tab\tand émoji 🚲; ends with a quote"'
    datasets = [
        parking_dataset("gent", description={"nl": awkward, "en": '\'single\' and """triple"""'}),
        parking_dataset("leuven", uri="https://datapilots.example.org/datasets/leuven-2%20b", conforms_to="Eigen standaard"),
    ]
    graph = build_graph(catalog_info(), datasets)
    data, _ = serialize(graph, "turtle")
    parsed = Graph().parse(data=data.decode("utf-8"), format="turtle")
    assert isomorphic(parsed, graph)
    text = data.decode()
    assert text.startswith("@prefix ")
    assert "\n    a dcat:Dataset ;" in text  # rdf:type is written as `a`, first, with the vocabularies' prefixes
    assert "<https://datapilots.example.org/datasets/leuven-2%20b>" in text
