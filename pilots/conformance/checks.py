"""The individual checks. Each takes what was fetched (or the parsed graph) and returns one :class:`Check`.

They are pure functions of their input: no network, no clock, so each can be tested on a made-up answer.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import rdflib
from rdflib.namespace import XSD

from pilots.conformance.fetch import ORIGIN, Fetched
from pilots.conformance.messages import Message, count, say
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
#: The two licences the Flemish government recommends (shared/reference/smart-flanders.md), and the message naming each.
FLEMISH_LICENCES = {
    "http://data.vlaanderen.be/id/licentie/modellicentie-gratis-hergebruik/v1.0": "licence.flemish_model",
    "http://data.vlaanderen.be/id/licentie/creative-commons-zero-verklaring/v1.0": "licence.flemish_cc0",
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


def not_checked(fetched: Fetched) -> Message:
    """Why a check that needs a 2xx answer could not look at one."""
    if fetched.refused:
        return say("not_checked.refused")
    if fetched.status is None:
        return say("not_checked.no_answer_because", error=fetched.problem) if fetched.error else say("not_checked.no_answer")
    if not fetched.answered:
        return say("not_checked.status", status=fetched.status)
    return say("not_checked")


def where(fetched: Fetched) -> Message | str:
    if not fetched.redirects:
        return ""
    return say("where", url=fetched.final_url, redirects=count("count.redirects", fetched.redirects))


def check_reachable(fetched: Fetched) -> Check:
    """The URL answers 2xx (after at most ``max_redirects`` redirects) with a body we could read."""
    status = f"HTTP {fetched.status} {fetched.reason}".rstrip()
    if fetched.ok:
        size = "" if fetched.body is None else say("reachable.size", bytes=count("count.bytes", len(fetched.body)))
        via = (
            say("reachable.via", url=fetched.final_url, redirects=count("count.redirects", fetched.redirects))
            if fetched.redirects
            else ""
        )
        return Check.said("reachable", PASS, say("reachable.pass", status=status, via=via, size=size))
    if fetched.refused:
        return Check.said("reachable", FAIL, say("reachable.refused", reason=fetched.problem, where=where(fetched)))
    if fetched.answered:
        return Check.said("reachable", FAIL, say("reachable.unreadable", status=status, error=fetched.problem))
    if fetched.error:
        return Check.said("reachable", FAIL, say("reachable.error", error=fetched.problem, where=where(fetched)))
    return Check.said("reachable", FAIL, say("reachable.status", status=status, where=where(fetched)))


def check_https(fetched: Fetched) -> Check:
    """The answer came over HTTPS (judged on the final URL, after redirects)."""
    if fetched.status is None:
        return Check.said("https", FAIL, not_checked(fetched))
    final = fetched.final_url
    if final.lower().startswith("https://"):
        came = say("https.upgraded") if fetched.chain and fetched.chain[0].lower().startswith("http://") else ""
        return Check.said("https", PASS, say("https.pass", url=final, upgraded=came))
    return Check.said("https", FAIL, say("https.fail", url=final))


def check_cors(fetched: Fetched) -> Check:
    """``Access-Control-Allow-Origin`` lets web apps on any site read the answer."""
    if not fetched.answered:
        return Check.said("cors", FAIL, not_checked(fetched))
    value = fetched.headers.get("access-control-allow-origin")
    if value is None:
        return Check.said("cors", FAIL, say("cors.missing"))
    value = value.strip()
    if value == "*":
        return Check.said("cors", PASS, say("cors.any"))
    if value == ORIGIN:
        return Check.said("cors", PASS, say("cors.echo", origin=ORIGIN))
    return Check.said("cors", FAIL, say("cors.one_origin", value=repr(value)))


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
        return Check.said("caching", FAIL, not_checked(fetched))
    cache_control = ", ".join(fetched.headers.get_list("cache-control"))
    etag = fetched.headers.get("etag")
    directives = cache_directives(cache_control)
    if "no-store" in directives:
        return Check.said("caching", FAIL, say("caching.no_store", value=cache_control))
    ages = [directives[key] for key in ("s-maxage", "max-age") if key in directives]
    max_age = max((int(age) for age in ages if age.isdigit()), default=0)
    if max_age > 0 and etag:
        return Check.said("caching", PASS, say("caching.both", value=cache_control, etag=etag))
    if max_age > 0:
        return Check.said("caching", PASS, say("caching.max_age", value=cache_control))
    if etag:
        return Check.said("caching", PASS, say("caching.etag", value=etag))
    seen = say("caching.seen", value=cache_control) if cache_control else ""
    return Check.said("caching", FAIL, say("caching.missing", seen=seen))


def machine_readable(media_type: str) -> bool:
    if media_type in NOT_MACHINE_READABLE:
        return False
    return media_type in MACHINE_READABLE or media_type.endswith(("+json", "+xml"))


def check_media_type(fetched: Fetched) -> Check:
    """The ``Content-Type`` names a machine-readable format (RDF or another structured format)."""
    if not fetched.answered:
        return Check.said("media_type", FAIL, not_checked(fetched))
    media_type = fetched.media_type
    fmt = rdf_format(media_type)
    if fmt is not None:
        return Check.said("media_type", PASS, say("media_type.rdf", media_type=media_type, format=FORMAT_NAMES[fmt]))
    if not media_type:
        return Check.said("media_type", FAIL, say("media_type.missing"))
    if machine_readable(media_type):
        return Check.said("media_type", PASS, say("media_type.structured", media_type=media_type))
    return Check.said("media_type", FAIL, say("media_type.not_data", media_type=media_type))


def check_content_negotiation(first: Fetched, asked: str, second: Fetched) -> Check:
    """Asked again for another RDF format (``asked``), the server answers in that format."""
    offered = first.media_type
    if second.answered and second.media_type == asked:
        vary = second.headers.get("vary", "") + "," + first.headers.get("vary", "")
        note = "" if "accept" in vary.lower() else say("negotiation.no_vary")
        return Check.said("content_negotiation", PASS, say("negotiation.pass", offered=offered, asked=asked, note=note))
    if second.answered:
        got = second.media_type or say("no_media_type")
        return Check.said("content_negotiation", FAIL, say("negotiation.other_type", asked=asked, got=got, offered=offered))
    reason = second.problem if second.error else say("http_status", status=str(second.status))
    return Check.said("content_negotiation", FAIL, say("negotiation.error", asked=asked, reason=reason))


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


def licence_note(value: rdflib.term.Node) -> Message | str:
    key = FLEMISH_LICENCES.get(str(value))
    return say(key) if key else ""


def check_licence(graph: rdflib.Graph, urls: Iterable[str]) -> Check:
    """A ``dct:license`` or ``cc:license`` (a URI) about the document, or the dataset/collection it is part of."""
    documents = document_nodes(urls)
    subjects: list[rdflib.term.Node] = [*documents, *owning_nodes(graph, documents)]
    not_uri = []
    for subject in subjects:
        for predicate, label in LICENCE_PREDICATES.items():
            for value in graph.objects(subject, predicate):
                if isinstance(value, rdflib.URIRef):
                    about = say("licence.this_document") if subject in documents else say("licence.part_of", subject=subject.n3())
                    found = say("licence.pass", predicate=label, value=str(value), note=licence_note(value), about=about)
                    return Check.said("licence", PASS, found)
                not_uri.append(f"{label} {value.n3()}")
    if not_uri:
        return Check.said("licence", FAIL, say("licence.not_uri", found=not_uri[0]))
    elsewhere = [subject for predicate in LICENCE_PREDICATES for subject in graph.subjects(predicate, None)]
    hint = say("licence.elsewhere", subject=elsewhere[0].n3()) if elsewhere else ""
    document = str(documents[-1]) if documents else ""
    return Check.said("licence", FAIL, say("licence.missing", document=document, hint=hint))


def check_generated_at(graph: rdflib.Graph, urls: Iterable[str]) -> Check:
    """The document says when it was generated: ``prov:generatedAtTime`` with an ``xsd:dateTime``."""
    documents = document_nodes(urls)
    for document in documents:
        for value in graph.objects(document, PROV.generatedAtTime):
            if isinstance(value, rdflib.Literal) and value.datatype == XSD.dateTime and isinstance(value.value, datetime):
                return Check.said("generated_at", PASS, say("generated_at.pass", value=str(value)))
            return Check.said("generated_at", FAIL, say("generated_at.not_datetime", value=value.n3()))
    return Check.said("generated_at", FAIL, say("generated_at.missing"))


def check_history_links(graph: rdflib.Graph) -> Check:
    """The document links its history pages: ``hydra:next``, ``hydra:previous`` or ``hydra:search`` anywhere."""
    found: list[Message] = []
    for predicate, label in HISTORY_PREDICATES.items():
        for value in graph.objects(None, predicate):
            if isinstance(value, rdflib.URIRef):
                found.append(say("history_links.link", predicate=label, target=f"<{value}>"))
            elif predicate == HYDRA.search:
                found.append(say("history_links.template", predicate=label))
            else:
                found.append(say("history_links.link", predicate=label, target=value.n3()))
            break
    if found:
        return Check.said("history_links", PASS, say("history_links.pass", links=found))
    return Check.said("history_links", FAIL, say("history_links.missing"))


def not_applicable(check_id: str, evidence: Message) -> Check:
    return Check.said(check_id, NOT_APPLICABLE, evidence)
