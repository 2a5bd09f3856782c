"""Parsing an answer as RDF with rdflib, chosen by its media type, without rdflib touching the network.

rdflib's JSON-LD parser would fetch a remote ``@context`` (or ``@import``) itself, with urllib and none of
the address rules. So JSON-LD is first read as JSON here, every remote context is loaded through the
caller's ``load_context`` (the same guarded fetcher, same rules and limits) and written into the document
in place of its URL, and only a document with no remote reference left is handed to rdflib. Turtle, TriG,
N-Triples, N-Quads, N3 and RDF/XML never fetch anything (Python's XML parser loads no external entities).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import urljoin

import rdflib

from pilots.conformance.messages import Said, say

#: Media type -> rdflib format name.
RDF_FORMATS = {
    "text/turtle": "turtle",
    "application/x-turtle": "turtle",
    "application/trig": "trig",
    "application/ld+json": "json-ld",
    "application/n-triples": "nt",
    "application/rdf+xml": "xml",
    "application/n-quads": "nquads",
    "text/n3": "n3",
}
FORMAT_NAMES = {
    "turtle": "Turtle",
    "trig": "TriG",
    "json-ld": "JSON-LD",
    "nt": "N-Triples",
    "xml": "RDF/XML",
    "nquads": "N-Quads",
    "n3": "N3",
}
#: Formats with named graphs: parsed into a Dataset, then merged.
QUAD_FORMATS = frozenset({"trig", "nquads"})
#: How many remote JSON-LD contexts one document may pull in (each within the size cap).
MAX_REMOTE_CONTEXTS = 8
#: How many term definitions the remote contexts may bring in, all their uses together: a document whose
#: 2,000 nodes each name a context of 10,000 terms would otherwise keep the JSON-LD processor busy for minutes.
MAX_CONTEXT_TERMS = 100_000
MAX_MESSAGE = 300

ContextLoader = Callable[[str], Any]


class RDFError(Said):
    """The body is not RDF in the format its media type says; the message says why."""


def rdf_format(media_type: str) -> str | None:
    return RDF_FORMATS.get(media_type.strip().lower())


def short(error: BaseException) -> str:
    text = " ".join(str(error).split()) or type(error).__name__
    return text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 1] + "…"


class ContextInliner:
    """Replaces every remote ``@context`` / ``@import`` in a JSON-LD document by the context it names."""

    def __init__(self, load: ContextLoader | None) -> None:
        self.load = load
        self.cache: dict[str, Any] = {}
        self.terms = 0  # term definitions inlined so far, every use of a remote context counted

    def document(self, node: Any, base: str) -> Any:
        if isinstance(node, list):
            return [self.document(item, base) for item in node]
        if isinstance(node, dict):
            return {
                key: self.context(value, base, ()) if key == "@context" else self.document(value, base)
                for key, value in node.items()
            }
        return node

    def remote(self, reference: str, base: str, seen: tuple[str, ...]) -> Any:
        url = urljoin(base, reference)
        if url in seen:
            raise RDFError(say("rdf.context_includes_itself", url=url))
        if url not in self.cache:
            if self.load is None:
                raise RDFError(say("rdf.context_not_loaded_here", url=url))
            if len(self.cache) >= MAX_REMOTE_CONTEXTS:
                raise RDFError(say("rdf.too_many_contexts", max=MAX_REMOTE_CONTEXTS))
            loaded = self.load(url)
            if not isinstance(loaded, dict) or "@context" not in loaded:
                raise RDFError(say("rdf.not_a_context", url=url))
            self.cache[url] = loaded["@context"]
        value = self.context(self.cache[url], url, (*seen, url))
        if isinstance(value, dict):
            value = {key: item for key, item in value.items() if key != "@base"}  # ignored in remote contexts
        self.terms += len(value) if isinstance(value, dict | list) else 1
        if self.terms > MAX_CONTEXT_TERMS:
            raise RDFError(say("rdf.too_many_terms", max=MAX_CONTEXT_TERMS, url=url))
        return value

    def context(self, value: Any, base: str, seen: tuple[str, ...]) -> Any:
        if isinstance(value, str):
            return self.remote(value, base, seen)
        if isinstance(value, list):
            flat: list[Any] = []
            for item in value:
                resolved = self.context(item, base, seen)
                flat.extend(resolved if isinstance(resolved, list) else [resolved])
            return flat
        if not isinstance(value, dict):
            return value
        result: dict[str, Any] = {}
        if "@import" in value:
            reference = value["@import"]
            if not isinstance(reference, str):
                raise RDFError(say("rdf.import_not_one"))
            imported = self.remote(reference, base, seen)
            if not isinstance(imported, dict):
                raise RDFError(say("rdf.import_not_an_object", url=reference))
            result.update(imported)
        for key, item in value.items():
            if key == "@import":
                continue
            if isinstance(item, dict) and "@context" in item:  # a term with a scoped context
                item = {k: self.context(v, base, seen) if k == "@context" else v for k, v in item.items()}
            result[key] = item
        return result


def remote_references(node: Any) -> list[str]:
    """Any remote context reference left in the document (there must be none before rdflib sees it)."""
    found: list[str] = []
    if isinstance(node, list):
        for item in node:
            found += remote_references(item)
    elif isinstance(node, dict):
        for key, value in node.items():
            found += context_references(value) if key == "@context" else remote_references(value)
    return found


def context_references(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [reference for item in value for reference in context_references(item)]
    if not isinstance(value, dict):
        return []
    found = [str(value["@import"])] if "@import" in value else []
    for item in value.values():
        if isinstance(item, dict) and "@context" in item:
            found += context_references(item["@context"])
    return found


def merged(dataset: rdflib.Dataset) -> rdflib.Graph:
    """All triples of every graph in ``dataset``, in one graph."""
    graph = rdflib.Graph()
    for subject, predicate, obj, _ in dataset.quads((None, None, None, None)):
        graph.add((subject, predicate, obj))
    return graph


def parse_jsonld(body: bytes, base: str, load_context: ContextLoader | None) -> rdflib.Graph:
    try:
        document = json.loads(body)
    except (ValueError, RecursionError) as error:
        raise RDFError(say("rdf.not_json", detail=short(error))) from None
    try:
        document = ContextInliner(load_context).document(document, base)
    except RecursionError:
        raise RDFError(say("rdf.nested_too_deeply")) from None
    left = remote_references(document)
    if left:  # pragma: no cover - the inliner leaves none; this is the safety net
        raise RDFError(say("rdf.unresolved_context", url=left[0]))
    if isinstance(document, list):
        document = {"@graph": document}
    if not isinstance(document, dict):
        raise RDFError(say("rdf.not_an_object"))
    dataset = rdflib.Dataset()
    dataset.parse(data=document, format="json-ld", publicID=base)  # type: ignore[arg-type]
    return merged(dataset)


def parse(body: bytes, media_type: str, base: str, *, load_context: ContextLoader | None = None) -> rdflib.Graph:
    """Parse ``body`` as the RDF format of ``media_type``, relative IRIs resolved against ``base``.

    Returns every triple (all named graphs merged). Raises :class:`RDFError` with a short reason.
    """
    fmt = rdf_format(media_type)
    if fmt is None:
        raise RDFError(say("rdf.not_rdf_format", media_type=media_type or say("no_media_type")))
    try:
        if fmt == "json-ld":
            return parse_jsonld(body, base, load_context)
        if fmt in QUAD_FORMATS:
            dataset = rdflib.Dataset()
            dataset.parse(data=body, format=fmt, publicID=base)
            return merged(dataset)
        graph = rdflib.Graph()
        graph.parse(data=body, format=fmt, publicID=base)
        return graph
    except (RDFError, MemoryError):
        raise  # a MemoryError is the caller's limit (pilots.conformance.isolated), not a syntax error
    except Exception as error:  # rdflib raises many kinds (BadSyntax, SAXParseException, UnicodeDecodeError …)
        raise RDFError(say("rdf.does_not_parse", format=FORMAT_NAMES[fmt], detail=short(error))) from None
