"""Each check function on made-up answers and graphs (no network): the HTTPS pass case, header parsing,
the licence, generatedAtTime and history rules."""

from __future__ import annotations

import httpx
import pytest
import rdflib

from pilots.conformance import checks
from pilots.conformance.fetch import ORIGIN, Fetched
from pilots.conformance.rdf import RDFError, parse
from pilots.conformance.report import Check, CheckReport

URL = "https://data.stad.gent/parking/realtime"
LICENCE = "http://data.vlaanderen.be/id/licentie/creative-commons-zero-verklaring/v1.0"


def answer(
    headers: dict[str, str] | None = None, *, status: int = 200, chain: list[str] | None = None, body: bytes = b""
) -> Fetched:
    return Fetched(
        url=(chain or [URL])[0], chain=chain or [URL], status=status, reason="OK", headers=httpx.Headers(headers or {}), body=body
    )


def graph(turtle: str, base: str = URL) -> rdflib.Graph:
    prefixes = (
        "@prefix dct: <http://purl.org/dc/terms/> . @prefix cc: <http://creativecommons.org/ns#> .\n"
        "@prefix prov: <http://www.w3.org/ns/prov#> . @prefix hydra: <http://www.w3.org/ns/hydra/core#> .\n"
        "@prefix xsd: <http://www.w3.org/2001/XMLSchema#> . @prefix dcat: <http://www.w3.org/ns/dcat#> .\n"
    )
    return parse((prefixes + turtle).encode(), "text/turtle", base)


def test_https_passes_on_an_https_answer():
    check = checks.check_https(answer())
    assert check == Check("https", "pass", f"served over HTTPS: {URL}")


def test_https_passes_after_a_redirect_from_http_and_fails_after_one_to_http():
    upgraded = checks.check_https(answer(chain=["http://data.stad.gent/parking/realtime", URL]))
    assert upgraded.result == "pass" and "redirected from http://" in upgraded.evidence
    downgraded = checks.check_https(answer(chain=[URL, "http://data.stad.gent/parking/realtime"]))
    assert downgraded.result == "fail"


def test_https_is_not_judged_without_an_answer():
    check = checks.check_https(Fetched(url=URL, chain=[URL], error="timed out: no answer within 5 s"))
    assert check.result == "fail" and check.evidence.startswith("not checked")


@pytest.mark.parametrize(
    ("value", "result"),
    [("*", "pass"), (" * ", "pass"), (ORIGIN, "pass"), ("https://stad.gent", "fail"), ("null", "fail"), (None, "fail")],
)
def test_cors(value, result):
    assert checks.check_cors(answer({} if value is None else {"Access-Control-Allow-Origin": value})).result == result


@pytest.mark.parametrize(
    ("headers", "result"),
    [
        ({"Cache-Control": "public, max-age=30"}, "pass"),
        ({"Cache-Control": "s-maxage=600"}, "pass"),
        ({"Cache-Control": 'max-age="30"'}, "pass"),
        ({"ETag": 'W/"abc"'}, "pass"),
        ({"Cache-Control": "max-age=0", "ETag": '"abc"'}, "pass"),
        ({"Cache-Control": "max-age=0"}, "fail"),
        ({"Cache-Control": "max-age=soon"}, "fail"),
        ({"Cache-Control": "no-store, max-age=30", "ETag": '"abc"'}, "fail"),
        ({"Last-Modified": "Wed, 01 May 2024 12:00:00 GMT"}, "fail"),
        ({}, "fail"),
    ],
)
def test_caching(headers, result):
    assert checks.check_caching(answer(headers)).result == result


@pytest.mark.parametrize(
    ("content_type", "result"),
    [
        ("text/turtle; charset=utf-8", "pass"),
        ("application/ld+json", "pass"),
        ("application/n-triples", "pass"),
        ("application/rdf+xml", "pass"),
        ("application/trig", "pass"),
        ("TEXT/TURTLE", "pass"),
        ("application/json", "pass"),
        ("application/geo+json", "pass"),
        ("text/csv", "pass"),
        ("application/vnd.datex+xml", "pass"),
        ("text/html; charset=utf-8", "fail"),
        ("application/xhtml+xml", "fail"),
        ("application/pdf", "fail"),
        ("application/octet-stream", "fail"),
        ("text/plain", "fail"),
        ("image/png", "fail"),
        (None, "fail"),
    ],
)
def test_media_type(content_type, result):
    headers = {} if content_type is None else {"Content-Type": content_type}
    assert checks.check_media_type(answer(headers)).result == result


def test_header_checks_need_a_2xx_answer():
    not_found = answer({"Access-Control-Allow-Origin": "*", "ETag": '"x"', "Content-Type": "text/turtle"}, status=404)
    for check in (checks.check_cors, checks.check_caching, checks.check_media_type):
        result = check(not_found)
        assert result.result == "fail" and "HTTP 404" in result.evidence


def test_reachable_evidence():
    assert checks.check_reachable(answer(body=b"abc")).evidence == "HTTP 200 OK, 3 bytes"
    too_large = Fetched(url=URL, chain=[URL], status=200, reason="OK", error="larger than 10 bytes")
    assert checks.check_reachable(too_large).evidence == "HTTP 200 OK, but the body could not be read: larger than 10 bytes"


def test_content_negotiation():
    first = answer({"Content-Type": "text/turtle"})
    second = answer({"Content-Type": "application/ld+json", "Vary": "Accept"})
    assert checks.check_content_negotiation(first, "application/ld+json", second).result == "pass"
    without_vary = checks.check_content_negotiation(first, "application/ld+json", answer({"Content-Type": "application/ld+json"}))
    assert without_vary.result == "pass" and "Vary: Accept" in without_vary.evidence
    ignored = checks.check_content_negotiation(first, "application/ld+json", first)
    assert ignored.result == "fail" and "got text/turtle" in ignored.evidence


def test_licence_about_the_document_in_either_vocabulary():
    for predicate in ("dct:license", "cc:license"):
        check = checks.check_licence(graph(f"<> {predicate} <{LICENCE}> ."), [URL])
        assert check.result == "pass" and predicate in check.evidence and "Flemish CC0" in check.evidence


def test_licence_about_the_url_without_fragment_and_the_requested_url():
    fragment = checks.check_licence(graph(f"<{URL}> dct:license <{LICENCE}> ."), [URL + "#latest"])
    assert fragment.result == "pass"
    requested = "https://data.stad.gent/parking"
    redirected = checks.check_licence(graph(f"<{requested}> dct:license <{LICENCE}> ."), [requested, URL])
    assert redirected.result == "pass"


@pytest.mark.parametrize(
    "turtle",
    [
        f"<> dct:isPartOf <https://data.stad.gent/dataset/parking> . <https://data.stad.gent/dataset/parking> dct:license <{LICENCE}> .",
        f"<https://data.stad.gent/parking> hydra:view <> ; dct:license <{LICENCE}> .",
        f"_:dist dcat:accessURL <> . _:ds dcat:distribution _:dist ; dct:license <{LICENCE}> .",
        f"_:dist dcat:downloadURL <> ; dct:license <{LICENCE}> .",
    ],
)
def test_licence_on_the_dataset_or_collection_the_page_belongs_to(turtle):
    assert checks.check_licence(graph(turtle), [URL]).result == "pass"


def test_licence_missing_elsewhere_or_not_a_uri():
    missing = checks.check_licence(graph("<> dct:title 'Parking' ."), [URL])
    assert missing.result == "fail" and "no dct:license or cc:license" in missing.evidence
    elsewhere = checks.check_licence(graph(f"<https://other.example/doc> dct:license <{LICENCE}> ."), [URL])
    assert elsewhere.result == "fail" and "https://other.example/doc" in elsewhere.evidence
    text = checks.check_licence(graph('<> dct:license "CC0" .'), [URL])
    assert text.result == "fail" and "not a URI" in text.evidence


def test_generated_at():
    good = checks.check_generated_at(graph('<> prov:generatedAtTime "2024-05-01T12:00:00Z"^^xsd:dateTime .'), [URL])
    assert good.result == "pass"
    untyped = checks.check_generated_at(graph('<> prov:generatedAtTime "yesterday" .'), [URL])
    assert untyped.result == "fail" and "xsd:dateTime" in untyped.evidence
    elsewhere = checks.check_generated_at(
        graph('<https://x.example/> prov:generatedAtTime "2024-05-01T12:00:00Z"^^xsd:dateTime .'), [URL]
    )
    assert elsewhere.result == "fail"


@pytest.mark.parametrize(
    ("turtle", "result"),
    [
        ("<> hydra:next <?page=2> .", "pass"),
        ("<> hydra:previous <?page=0> .", "pass"),
        ('<https://data.stad.gent/parking> hydra:search [ hydra:template "https://data.stad.gent/parking{?time}" ] .', "pass"),
        ("<> dct:title 'no links' .", "fail"),
    ],
)
def test_history_links(turtle, result):
    assert checks.check_history_links(graph(turtle)).result == result


@pytest.mark.parametrize(
    ("media_type", "body"),
    [
        ("application/n-triples", b"<http://a> <http://b> <http://c> .\n"),
        (
            "application/rdf+xml",
            b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="http://a"><rdf:value>1</rdf:value></rdf:Description></rdf:RDF>',
        ),
        ("application/trig", b"<http://g> { <http://a> <http://b> <http://c> . }"),
        ("application/ld+json", b'{"@id": "http://a", "http://b": {"@id": "http://c"}}'),
    ],
)
def test_every_rdf_format_parses(media_type, body):
    assert len(parse(body, media_type, URL)) == 1


def test_rdf_xml_with_an_external_entity_does_not_read_files():
    body = b"""<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY leak SYSTEM "file:///etc/hostname">]>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="http://a"><rdf:value>&leak;</rdf:value></rdf:Description></rdf:RDF>"""
    try:
        parsed = parse(body, "application/rdf+xml", URL)
    except RDFError:
        return
    with open("/etc/hostname") as handle:
        secret = handle.read().strip()
    assert all(secret not in str(term) for triple in parsed for term in triple)


def test_json_ld_remote_context_is_never_fetched_by_rdflib():
    with pytest.raises(RDFError, match="not loaded here"):
        parse(b'{"@context": "http://10.0.0.1/ctx.jsonld", "@id": "http://a"}', "application/ld+json", URL)
    with pytest.raises(RDFError, match="not loaded here"):
        parse(b'{"@context": {"@import": "http://10.0.0.1/ctx.jsonld"}, "@id": "http://a"}', "application/ld+json", URL)
    with pytest.raises(RDFError, match="not loaded here"):
        body = b'{"@context": {"p": {"@id": "http://p", "@context": "http://10.0.0.1/scoped"}}, "@id": "http://a"}'
        parse(body, "application/ld+json", URL)


def test_json_ld_remote_context_loops_and_limits():
    with pytest.raises(RDFError, match="includes itself"):
        parse(
            b'{"@context": "https://c.example/a", "@id": "http://a"}',
            "application/ld+json",
            URL,
            load_context=lambda url: {"@context": url},
        )
    counter = iter(range(100))

    def chain(url):
        return {"@context": f"https://c.example/{next(counter)}"}

    with pytest.raises(RDFError, match="more than 8"):
        parse(b'{"@context": "https://c.example/start", "@id": "http://a"}', "application/ld+json", URL, load_context=chain)


def test_malformed_inputs_give_reasons_not_exceptions():
    for media_type, body in [
        ("application/ld+json", b"{not json"),
        ("application/ld+json", b"[" * 100_000),
        ("application/ld+json", b'"just a string"'),
        ("application/rdf+xml", b"<not-closed>"),
        ("application/n-triples", b"<http://a> <http://b> ."),
        ("text/turtle", b"\xff\xfe\x00garbage"),
    ]:
        with pytest.raises(RDFError):
            parse(body, media_type, URL)


def test_report_rejects_naive_times_and_unknown_ids():
    from datetime import datetime

    with pytest.raises(ValueError):
        CheckReport(url=URL, final_url=URL, checked_at=datetime(2024, 5, 1), checks=())
    with pytest.raises(ValueError):
        Check("speed", "pass", "")
    with pytest.raises(ValueError):
        Check("https", "maybe", "")
