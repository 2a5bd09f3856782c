"""Serialise the catalogue graph, and pick a format from an HTTP ``Accept`` header."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from rdflib import Graph
from rdflib.plugins.stores.memory import SimpleMemory

from pilots.dcat.errors import CatalogError
from pilots.dcat.vocab import PREFIXES


@dataclass(frozen=True)
class Format:
    name: str  # the platform's name: "turtle", "json-ld", "rdf/xml", "n-triples"
    media_type: str
    extension: str  # of the catalogue's file: /catalog.<extension>
    rdflib_name: str


#: The formats, in the server's order of preference (the first is the default).
FORMATS: dict[str, Format] = {
    f.name: f
    for f in (
        Format("turtle", "text/turtle", "ttl", "turtle"),
        Format("json-ld", "application/ld+json", "jsonld", "json-ld"),
        Format("rdf/xml", "application/rdf+xml", "rdf", "xml"),
        Format("n-triples", "application/n-triples", "nt", "nt"),
    )
}
DEFAULT_FORMAT = "turtle"

_ALIASES = {
    "ttl": "turtle",
    "jsonld": "json-ld",
    "json_ld": "json-ld",
    "rdf": "rdf/xml",
    "xml": "rdf/xml",
    "rdfxml": "rdf/xml",
    "rdf-xml": "rdf/xml",
    "nt": "n-triples",
    "ntriples": "n-triples",
}

#: Media types a client may ask for -> format. Besides each format's own type, a few that the same bytes
#: satisfy (Turtle is valid N3, JSON-LD is JSON); they rank after the formats' own types. Plain XML is
#: left out on purpose: browsers ask for ``application/xml;q=0.9`` and are better served Turtle.
_ACCEPTED = [(f.media_type, f.name) for f in FORMATS.values()] + [
    ("application/x-turtle", "turtle"),
    ("text/n3", "turtle"),
    ("application/json", "json-ld"),
]


def format_name(value: str) -> str:
    """The canonical name of a format given by name, alias, file extension or media type."""
    key = (value or "").strip().lower()
    if key in FORMATS:
        return key
    if key in _ALIASES:
        return _ALIASES[key]
    for media_type, name in _ACCEPTED:
        if key == media_type:
            return name
    raise CatalogError(f"unknown format {value!r}: use one of {', '.join(FORMATS)}")


def serialize(graph: Graph, format: str = DEFAULT_FORMAT) -> tuple[bytes, str]:
    """``(bytes, media type)`` of the graph in a format (see :data:`FORMATS`). The bytes are UTF-8.

    The same graph always gives the same bytes, in any process (so they can carry an ``ETag``): the
    triples are fed to the serialiser in sorted order, N-Triples lines are sorted and the JSON-LD document
    is written with sorted keys and values. (rdflib's own output order depends on Python's hash seed.)
    """
    spec = FORMATS[format_name(format)]
    ordered = _ordered(graph)
    if spec.name == "json-ld":
        context = {prefix: str(namespace) for prefix, namespace in PREFIXES.items()}
        document = json.loads(ordered.serialize(format="json-ld", context=context, auto_compact=True))
        data = (json.dumps(_sorted_json(document), indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()
    elif spec.name == "n-triples":
        lines = ordered.serialize(format="nt", encoding="utf-8").splitlines()
        data = b"".join(line + b"\n" for line in sorted(line for line in lines if line.strip()))
    else:
        data = ordered.serialize(format=spec.rdflib_name, encoding="utf-8")
    return data, spec.media_type


def _ordered(graph: Graph) -> Graph:
    """A copy of the graph in a store that keeps insertion order, filled in sorted order."""
    copy = Graph(store=SimpleMemory(), bind_namespaces="none")
    for prefix, namespace in PREFIXES.items():
        copy.bind(prefix, namespace)
    for triple in sorted(graph, key=lambda triple: tuple(term.n3() for term in triple)):
        copy.add(triple)
    return copy


def _sorted_json(value: Any) -> Any:
    """JSON-LD with every array sorted (arrays are unordered in JSON-LD unless they are ``@list``)."""
    if isinstance(value, dict):
        return {key: (item if key == "@list" else _sorted_json(item)) for key, item in value.items()}
    if isinstance(value, list):
        items = [_sorted_json(item) for item in value]
        return sorted(items, key=lambda item: json.dumps(item, sort_keys=True, ensure_ascii=False))
    return value


def _parse_accept(header: str) -> list[tuple[str, str, float, int]]:
    """``(type, subtype, q, position)`` of each media range; malformed entries are skipped."""
    ranges = []
    for position, item in enumerate(header.split(",")):
        parts = [part.strip() for part in item.split(";")]
        media_range = parts[0].lower()
        if media_range.count("/") != 1:
            continue
        main, sub = media_range.split("/")
        if not main or not sub or (main == "*" and sub != "*"):
            continue
        q = 1.0
        for parameter in parts[1:]:
            key, _, value = parameter.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = float(value.strip())
                except ValueError:
                    q = -1.0
        if 0.0 <= q <= 1.0:
            ranges.append((main, sub, q, position))
    return ranges


def negotiate(accept_header: str | None, default: str | None = DEFAULT_FORMAT) -> str | None:
    """The format to answer an ``Accept`` header with.

    Each format is given the quality of the most specific media range that matches it (``text/turtle``
    before ``text/*`` before ``*/*``; ``q=0`` refuses it). The highest quality wins; on a tie, an exact
    match beats a wildcard, then the range the client listed first, then the server's order (Turtle,
    JSON-LD, RDF/XML, N-Triples). With no header, an empty one, or nothing acceptable: ``default``
    (pass ``default=None`` to answer 406 Not Acceptable instead).
    """
    if not accept_header or not accept_header.strip():
        return default
    ranges = _parse_accept(accept_header)
    best: tuple[float, int, int, int] | None = None
    chosen: str | None = None
    for preference, (media_type, name) in enumerate(_ACCEPTED):
        main, sub = media_type.split("/")
        match: tuple[int, float, int] | None = None  # (specificity, q, position)
        for range_main, range_sub, q, position in ranges:
            if (range_main, range_sub) == (main, sub):
                specificity = 2
            elif range_main == main and range_sub == "*":
                specificity = 1
            elif range_main == "*":
                specificity = 0
            else:
                continue
            if match is None or specificity > match[0] or (specificity == match[0] and position < match[2]):
                match = (specificity, q, position)
        if match is None or match[1] <= 0:
            continue
        score = (match[1], match[0], -match[2], -preference)
        if best is None or score > best:
            best, chosen = score, name
    return chosen if chosen is not None else default
