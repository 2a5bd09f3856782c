"""The individual checks. Each takes what was fetched (or the parsed graph) and returns one :class:`Check`.

They are pure functions of their input: no network, no clock, so each can be tested on a made-up answer.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import rdflib
from rdflib.namespace import XSD

from pilots.conformance.fetch import ORIGIN, Fetched
from pilots.conformance.rdf import FORMAT_NAMES, rdf_format
from pilots.conformance.report import FAIL, NOT_APPLICABLE, PASS, Check

DCT = rdflib.Namespace("http://purl.org/dc/terms/")
CC = rdflib.Namespace("http://creativecommons.org/ns#")
PROV = rdflib.Namespace("http://www.w3.org/ns/prov#")
HYDRA = rdflib.Namespace("http://www.w3.org/ns/hydra/core#")
VOID = rdflib.Namespace("http://rdfs.org/ns/void#")
DCAT = rdflib.Namespace("http://www.w3.org/ns/dcat#")

LICENCE_PREDICATES = {DCT.license: "dct:license", CC.license: "cc:license"}
HISTORY_PREDICATES = {HYDRA.next: "hydra:next", HYDRA.previous: "hydra:previous", HYDRA.search: "hydra:search"}
#: The two licences the Flemish government recommends (shared/reference/smart-flanders.md).
FLEMISH_LICENCES = {
    "http://data.vlaanderen.be/id/licentie/modellicentie-gratis-hergebruik/v1.0": "the Flemish model licence for free reuse",
    "http://data.vlaanderen.be/id/licentie/creative-commons-zero-verklaring/v1.0": "the Flemish CC0 declaration",
}

#: Structured, machine-readable media types that are not RDF (RDF types come from rdf.RDF_FORMATS).
MACHINE_READABLE = frozenset(
    {
        "application/json",
        "application/geo+json",
        "application/vnd.geo+json",
        "application/x-ndjson",
        "application/xml",
        "text/xml",
        "text/csv",
        "text/tab-separated-values",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.ms-excel",
        "application/vnd.oasis.opendocument.spreadsheet",
    }
)
#: Types for people, or for nothing in particular, even though some end in +xml.
NOT_MACHINE_READABLE = frozenset(
    {"text/html", "application/xhtml+xml", "image/svg+xml", "application/octet-stream", "text/plain"}
)


def plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def not_checked(fetched: Fetched) -> str:
    """Why a check that needs a 2xx answer could not look at one."""
    if fetched.refused:
        return "not checked: the request was refused"
    if fetched.status is None:
        return f"not checked: no answer ({fetched.error})" if fetched.error else "not checked: no answer"
    if not fetched.answered:
        return f"not checked: the URL answered HTTP {fetched.status}"
    return "not checked"


def where(fetched: Fetched) -> str:
    return f" (at {fetched.final_url}, after {plural(fetched.redirects, 'redirect')})" if fetched.redirects else ""


def check_reachable(fetched: Fetched) -> Check:
    """The URL answers 2xx (after at most ``max_redirects`` redirects) with a body we could read."""
    status = f"HTTP {fetched.status} {fetched.reason}".rstrip()
    if fetched.ok:
        size = "" if fetched.body is None else f", {plural(len(fetched.body), 'byte')}"
        via = f" from {fetched.final_url} after {plural(fetched.redirects, 'redirect')}" if fetched.redirects else ""
        return Check("reachable", PASS, f"{status}{via}{size}")
    if fetched.refused:
        return Check("reachable", FAIL, f"refused: {fetched.error}{where(fetched)}")
    if fetched.answered:
        return Check("reachable", FAIL, f"{status}, but the body could not be read: {fetched.error}")
    if fetched.error:
        return Check("reachable", FAIL, f"{fetched.error}{where(fetched)}")
    return Check("reachable", FAIL, f"{status}{where(fetched)}")


def check_https(fetched: Fetched) -> Check:
    """The answer came over HTTPS (judged on the final URL, after redirects)."""
    if fetched.status is None:
        return Check("https", FAIL, not_checked(fetched))
    final = fetched.final_url
    if final.lower().startswith("https://"):
        came = " (redirected from http://)" if fetched.chain and fetched.chain[0].lower().startswith("http://") else ""
        return Check("https", PASS, f"served over HTTPS: {final}{came}")
    return Check("https", FAIL, f"served over plain HTTP: {final}")


def check_cors(fetched: Fetched) -> Check:
    """``Access-Control-Allow-Origin`` lets web apps on any site read the answer."""
    if not fetched.answered:
        return Check("cors", FAIL, not_checked(fetched))
    value = fetched.headers.get("access-control-allow-origin")
    if value is None:
        return Check("cors", FAIL, "no Access-Control-Allow-Origin header: web apps on other sites cannot read the data")
    value = value.strip()
    if value == "*":
        return Check("cors", PASS, "Access-Control-Allow-Origin: *")
    if value == ORIGIN:
        return Check("cors", PASS, f"Access-Control-Allow-Origin echoes the request's Origin ({ORIGIN})")
    return Check(
        "cors", FAIL, f"Access-Control-Allow-Origin: {value!r} lets only that origin read the data; public data needs '*'"
    )


def cache_directives(value: str) -> dict[str, str]:
    directives: dict[str, str] = {}
    for part in value.split(","):
        name, _, argument = part.strip().partition("=")
        if name:
            directives[name.strip().lower()] = argument.strip().strip('"')
    return directives


def check_caching(fetched: Fetched) -> Check:
    """``Cache-Control`` with a positive ``max-age`` (or ``s-maxage``), or an ``ETag``; ``no-store`` fails."""
    if not fetched.answered:
        return Check("caching", FAIL, not_checked(fetched))
    cache_control = ", ".join(fetched.headers.get_list("cache-control"))
    etag = fetched.headers.get("etag")
    directives = cache_directives(cache_control)
    if "no-store" in directives:
        return Check("caching", FAIL, f"Cache-Control: {cache_control} forbids caching")
    ages = [directives[key] for key in ("s-maxage", "max-age") if key in directives]
    max_age = max((int(age) for age in ages if age.isdigit()), default=0)
    found = []
    if max_age > 0:
        found.append(f"Cache-Control: {cache_control}")
    if etag:
        found.append(f"ETag: {etag}")
    if found:
        return Check("caching", PASS, "; ".join(found))
    seen = f" (Cache-Control: {cache_control})" if cache_control else ""
    return Check("caching", FAIL, f"no Cache-Control max-age and no ETag{seen}")


def machine_readable(media_type: str) -> bool:
    if media_type in NOT_MACHINE_READABLE:
        return False
    return media_type in MACHINE_READABLE or media_type.endswith(("+json", "+xml"))


def check_media_type(fetched: Fetched) -> Check:
    """The ``Content-Type`` names a machine-readable format (RDF or another structured format)."""
    if not fetched.answered:
        return Check("media_type", FAIL, not_checked(fetched))
    media_type = fetched.media_type
    fmt = rdf_format(media_type)
    if fmt is not None:
        return Check("media_type", PASS, f"{media_type} (RDF: {FORMAT_NAMES[fmt]})")
    if not media_type:
        return Check("media_type", FAIL, "no Content-Type header")
    if machine_readable(media_type):
        return Check("media_type", PASS, f"{media_type} (machine-readable, not RDF: the RDF checks do not apply)")
    return Check("media_type", FAIL, f"{media_type} is not a machine-readable data format")


def check_content_negotiation(first: Fetched, asked: str, second: Fetched) -> Check:
    """Asked again for another RDF format (``asked``), the server answers in that format."""
    offered = first.media_type
    if second.answered and second.media_type == asked:
        vary = second.headers.get("vary", "") + "," + first.headers.get("vary", "")
        note = "" if "accept" in vary.lower() else "; note: no 'Vary: Accept' header, so shared caches may mix the formats"
        return Check("content_negotiation", PASS, f"offers {offered} and {asked} through the Accept header{note}")
    if second.answered:
        got = second.media_type or "no media type"
        return Check("content_negotiation", FAIL, f"asked for {asked} and got {got}: only {offered} seems to be offered")
    reason = second.error or f"HTTP {second.status}"
    return Check("content_negotiation", FAIL, f"asked for {asked}: {reason}")


def document_nodes(urls: Iterable[str]) -> list[rdflib.URIRef]:
    """The document's own IRIs: every URL of the redirect chain, with and without its fragment."""
    nodes: list[rdflib.URIRef] = []
    for url in urls:
        for form in (url, url.split("#", 1)[0]):
            node = rdflib.URIRef(form)
            if node not in nodes:
                nodes.append(node)
    return nodes


def owning_nodes(graph: rdflib.Graph, documents: list[rdflib.URIRef]) -> list[rdflib.term.Node]:
    """The dataset, collection or distribution this page belongs to, as the graph says.

    ``page dct:isPartOf X``, ``page void:inDataset X``, ``X hydra:view page``, ``X void:subset page``,
    ``X dct:hasPart page``, ``X dcat:accessURL|downloadURL page`` (a distribution) and the datasets with
    that distribution (``D dcat:distribution X``).
    """
    found: list[rdflib.term.Node] = []

    def add(node: rdflib.term.Node) -> None:
        if isinstance(node, rdflib.URIRef | rdflib.BNode) and node not in documents and node not in found:
            found.append(node)

    for page in documents:
        for predicate in (DCT.isPartOf, VOID.inDataset):
            for node in graph.objects(page, predicate):
                add(node)
        for predicate in (HYDRA.view, VOID.subset, DCT.hasPart):
            for node in graph.subjects(predicate, page):
                add(node)
        for predicate in (DCAT.accessURL, DCAT.downloadURL):
            for distribution in graph.subjects(predicate, page):
                add(distribution)
                for dataset in graph.subjects(DCAT.distribution, distribution):
                    add(dataset)
    return found


def licence_note(value: rdflib.term.Node) -> str:
    name = FLEMISH_LICENCES.get(str(value))
    return f" ({name})" if name else ""


def check_licence(graph: rdflib.Graph, urls: Iterable[str]) -> Check:
    """A ``dct:license`` or ``cc:license`` (a URI) about the document, or the dataset/collection it is part of."""
    documents = document_nodes(urls)
    subjects: list[rdflib.term.Node] = [*documents, *owning_nodes(graph, documents)]
    not_uri = []
    for subject in subjects:
        for predicate, label in LICENCE_PREDICATES.items():
            for value in graph.objects(subject, predicate):
                if isinstance(value, rdflib.URIRef):
                    about = "this document" if subject in documents else f"{subject.n3()}, which this document is part of"
                    return Check("licence", PASS, f"{label} <{value}>{licence_note(value)} about {about}")
                not_uri.append(f"{label} {value.n3()}")
    if not_uri:
        return Check(
            "licence", FAIL, f"the licence is not a URI ({not_uri[0]}): a machine-readable licence is identified by its URI"
        )
    elsewhere = [subject for predicate in LICENCE_PREDICATES for subject in graph.subjects(predicate, None)]
    hint = f"; a licence is stated about {elsewhere[0].n3()}, which is not this document" if elsewhere else ""
    return Check(
        "licence", FAIL, f"no dct:license or cc:license about this document (<{documents[-1] if documents else ''}>){hint}"
    )


def check_generated_at(graph: rdflib.Graph, urls: Iterable[str]) -> Check:
    """The document says when it was generated: ``prov:generatedAtTime`` with an ``xsd:dateTime``."""
    documents = document_nodes(urls)
    for document in documents:
        for value in graph.objects(document, PROV.generatedAtTime):
            if isinstance(value, rdflib.Literal) and value.datatype == XSD.dateTime and isinstance(value.value, datetime):
                return Check("generated_at", PASS, f"prov:generatedAtTime {value}")
            return Check("generated_at", FAIL, f"prov:generatedAtTime {value.n3()} is not an xsd:dateTime")
    return Check("generated_at", FAIL, "no prov:generatedAtTime about this document")


def check_history_links(graph: rdflib.Graph) -> Check:
    """The document links its history pages: ``hydra:next``, ``hydra:previous`` or ``hydra:search`` anywhere."""
    found = []
    for predicate, label in HISTORY_PREDICATES.items():
        for value in graph.objects(None, predicate):
            shown = (
                f"<{value}>" if isinstance(value, rdflib.URIRef) else "(a template)" if predicate == HYDRA.search else value.n3()
            )
            found.append(f"{label} {shown}")
            break
    if found:
        return Check("history_links", PASS, "; ".join(found))
    return Check("history_links", FAIL, "no hydra:next, hydra:previous or hydra:search: the history pages are not linked")


def not_applicable(check_id: str, evidence: str) -> Check:
    return Check(check_id, NOT_APPLICABLE, evidence)
