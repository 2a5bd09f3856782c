"""Serialise the catalogue graph, and pick a format from an HTTP ``Accept`` header."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from rdflib import RDF, BNode, Graph, Literal, URIRef
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
    if spec.name == "turtle":
        data = _turtle(graph)
    elif spec.name == "n-triples":
        lines = graph.serialize(format="nt", encoding="utf-8").splitlines()
        data = b"".join(line + b"\n" for line in sorted(line for line in lines if line.strip()))
    elif spec.name == "json-ld":
        context = {prefix: str(namespace) for prefix, namespace in PREFIXES.items()}
        document = json.loads(_ordered(graph).serialize(format="json-ld", context=context, auto_compact=True))
        data = (json.dumps(_sorted_json(document), indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()
    else:
        data = _ordered(graph).serialize(format=spec.rdflib_name, encoding="utf-8")
    return data, spec.media_type


#: A prefixed name's local part that every Turtle parser accepts (a safe subset of PN_LOCAL).
_LOCAL_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")


class _TurtleTerms:
    """Terms written as Turtle: prefixed names for the vocabularies of :data:`PREFIXES`, else full IRIs."""

    def __init__(self) -> None:
        # Longest namespace first, so that a namespace nested in another one wins.
        self.namespaces = sorted(((str(ns), prefix) for prefix, ns in PREFIXES.items()), key=lambda item: -len(item[0]))
        self.used: set[str] = set()
        self.cache: dict[URIRef, str] = {}

    def uri(self, node: URIRef) -> str:
        written = self.cache.get(node)
        if written is None:
            written = node.n3()
            for namespace, prefix in self.namespaces:
                if node.startswith(namespace):
                    local = node[len(namespace) :]
                    if _LOCAL_NAME.fullmatch(local):
                        self.used.add(prefix)
                        written = f"{prefix}:{local}"
                    break
            self.cache[node] = written
        return written

    def term(self, node: object) -> str:
        if isinstance(node, URIRef):
            return self.uri(node)
        if isinstance(node, BNode):
            return node.n3()
        if isinstance(node, Literal):
            text = Literal(str(node)).n3()  # the lexical form, quoted and escaped
            if node.language:
                return f"{text}@{node.language}"
            if node.datatype is not None:
                return f"{text}^^{self.uri(node.datatype)}"
            return text
        raise TypeError(f"cannot write {node!r} as Turtle")


def _turtle(graph: Graph) -> bytes:
    """Turtle in linear time, in a fixed order: subjects, then ``a`` and predicates, then objects, sorted.

    rdflib's own Turtle serialiser looks every IRI up in a namespace trie that grows with each dataset
    (quadratic: 38 s for 5,000 datasets); this writer only shortens the IRIs of the known vocabularies.
    The result is plain Turtle 1.1 that any parser, rdflib's included, reads back to the same graph.
    """
    terms = _TurtleTerms()
    subjects: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for subject, predicate, obj in graph:
        verb = "a" if predicate == RDF.type else terms.uri(predicate)
        subjects[terms.term(subject)][verb].append(terms.term(obj))
    blocks = []
    for subject in sorted(subjects):
        predicates = subjects[subject]
        order = sorted(predicates, key=lambda verb: (verb != "a", verb))
        lines = [f"    {verb} " + ",\n        ".join(sorted(predicates[verb])) for verb in order]
        blocks.append(subject + "\n" + " ;\n".join(lines) + " .\n")
    header = "".join(f"@prefix {prefix}: <{PREFIXES[prefix]}> .\n" for prefix in sorted(terms.used))
    return (header + "\n" + "\n".join(blocks)).encode()


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
