"""check_url against the local test server: each endpoint gives the results it should, with evidence."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from pilots.conformance import ACCEPT, CHECK_IDS, check_url


def results(report) -> dict[str, str]:
    return report.results


def evidence(report, check_id: str) -> str:
    return report.get(check_id).evidence


def test_good_turtle_passes_every_check(server):
    now = datetime(2024, 5, 1, 12, 5, tzinfo=UTC)  # five minutes after the document's prov:generatedAtTime
    report = check_url(server.url("/good"), realtime=True, policy=server.policy(), now=now)
    assert [check.id for check in report.checks] == list(CHECK_IDS)
    failing = {check.id: check.evidence for check in report.checks if check.result != "pass"}
    assert failing == {"https": failing["https"]}, failing  # the local server speaks plain HTTP
    assert "plain HTTP" in failing["https"]
    assert not report.passed
    assert report.final_url == server.url("/good")
    assert report.refused is None
    assert report.checked_at.tzinfo == UTC
    assert "text/turtle" in evidence(report, "media_type")
    assert "Turtle" in evidence(report, "rdf_parses")
    assert "modellicentie" in evidence(report, "licence") and "Flemish model licence" in evidence(report, "licence")
    assert "2024-05-01T12:00:00" in evidence(report, "generated_at")
    assert "is 5 minutes old, within the 15 minutes allowed" in evidence(report, "freshness")
    assert "hydra:next" in evidence(report, "history_links") and "hydra:previous" in evidence(report, "history_links")
    assert "application/ld+json" in evidence(report, "content_negotiation")
    assert "max-age=30" in evidence(report, "caching")
    assert evidence(report, "cors") == "Access-Control-Allow-Origin: *"


def test_the_request_asks_for_rdf_with_the_documented_accept_header(server):
    server.requests.clear()
    check_url(server.url("/csv"), policy=server.policy())
    first = server.requests[0]["headers"]
    assert first["Accept"] == ACCEPT
    assert first["Host"] == f"127.0.0.1:{server.port}"
    assert first["User-Agent"].startswith("datapilots-conformance/")
    assert first["Origin"]


def test_generated_at_is_not_applicable_unless_realtime(server):
    report = check_url(server.url("/good"), policy=server.policy())
    assert report.get("generated_at").result == "n/a"
    assert results(report)["licence"] == "pass"


def test_json_ld_with_a_remote_context_loaded_through_the_same_rules(server):
    server.requests.clear()
    report = check_url(server.url("/jsonld"), realtime=True, policy=server.policy())
    got = results(report)
    assert got["reachable"] == got["rdf_parses"] == got["licence"] == got["generated_at"] == got["history_links"] == "pass"
    assert "JSON-LD" in evidence(report, "rdf_parses")
    assert got["caching"] == "pass" and "ETag" in evidence(report, "caching")
    # Only JSON-LD is offered: asking for Turtle gets 406.
    assert got["content_negotiation"] == "fail" and "406" in evidence(report, "content_negotiation")
    assert "/context.jsonld" in [request["path"] for request in server.requests]


def test_json_ld_by_content_negotiation(server):
    from pilots.conformance.fetch import Fetcher

    with Fetcher(server.policy()) as fetcher:
        got = fetcher.get(server.url("/good"), "application/ld+json")
    assert got.ok and got.media_type == "application/ld+json"
    from pilots.conformance.rdf import parse

    graph = parse(got.body, got.media_type, got.final_url)
    assert len(graph) >= 5


def test_a_remote_context_at_a_private_address_is_refused_not_fetched(server, guard):
    report = check_url(server.url("/jsonld-private-context"), policy=server.policy())
    assert report.get("rdf_parses").result == "fail"
    assert "10.0.0.1" in evidence(report, "rdf_parses") and "private" in evidence(report, "rdf_parses")
    assert report.get("licence").result == "fail"
    assert all(not connection.startswith("10.") for connection in guard.connections)


def test_missing_cors(server):
    report = check_url(server.url("/no-cors"), policy=server.policy())
    assert results(report)["cors"] == "fail"
    assert "no Access-Control-Allow-Origin" in evidence(report, "cors")
    assert results(report)["caching"] == "pass"


def test_cors_for_one_other_origin_only_fails(server):
    report = check_url(server.url("/other-origin"), policy=server.policy())
    assert results(report)["cors"] == "fail" and "https://stad.gent" in evidence(report, "cors")


def test_no_caching_headers(server):
    report = check_url(server.url("/no-cache"), policy=server.policy())
    assert results(report)["caching"] == "fail"
    assert "no Cache-Control max-age and no ETag" in evidence(report, "caching")
    assert results(report)["cors"] == "pass"


def test_no_licence_about_the_document(server):
    report = check_url(server.url("/no-licence"), policy=server.policy())
    assert results(report)["licence"] == "fail"
    assert "http://example.org/other" in evidence(report, "licence")
    assert results(report)["rdf_parses"] == "pass"


def test_licence_on_the_dataset_the_page_is_part_of(server):
    report = check_url(server.url("/dataset-licence"), policy=server.policy())
    assert results(report)["licence"] == "pass"
    assert "dataset/parking" in evidence(report, "licence")
    assert results(report)["history_links"] == "pass" and "hydra:search" in evidence(report, "history_links")


def test_realtime_without_generated_at_fails(server):
    report = check_url(server.url("/no-time"), realtime=True, policy=server.policy())
    assert results(report)["generated_at"] == "fail"
    assert "prov:generatedAtTime" in evidence(report, "generated_at")


def test_broken_turtle(server):
    report = check_url(server.url("/broken"), realtime=True, policy=server.policy())
    got = results(report)
    assert got["reachable"] == "pass" and got["media_type"] == "pass"
    assert got["rdf_parses"] == "fail" and "Turtle does not parse" in evidence(report, "rdf_parses")
    for check_id in ("licence", "generated_at", "history_links"):
        assert got[check_id] == "fail" and "does not parse" in evidence(report, check_id)


def test_slow_endpoint_times_out(server):
    started = time.monotonic()
    report = check_url(server.url("/slow"), policy=server.policy(timeout=0.5))
    assert time.monotonic() - started < 1.4
    assert results(report)["reachable"] == "fail"
    assert "did not answer in time" in evidence(report, "reachable") and "0.5 s" in evidence(report, "reachable")
    assert results(report)["cors"] == "fail" and "not checked" in evidence(report, "cors")


def test_a_trickling_answer_stops_at_the_total_deadline(server):
    started = time.monotonic()
    report = check_url(server.url("/drip"), policy=server.policy(timeout=0.5, total_timeout=1.0))
    assert time.monotonic() - started < 2.0
    assert results(report)["reachable"] == "fail"
    assert "1 s in all" in evidence(report, "reachable")


@pytest.mark.parametrize("path", ["/huge", "/huge-declared", "/gzip-bomb"])
def test_huge_bodies_are_cut_off(server, path):
    report = check_url(server.url(path), policy=server.policy(max_bytes=50_000))
    assert results(report)["reachable"] == "fail"
    assert "larger than 50000 bytes" in evidence(report, "reachable")
    assert results(report)["rdf_parses"] == "fail" and "body was not read" in evidence(report, "rdf_parses")


def test_gzip_encoded_answer_is_decoded(server):
    report = check_url(server.url("/gzip"), policy=server.policy())
    assert results(report)["rdf_parses"] == "pass"
    assert results(report)["licence"] == "pass"


def test_binary_body_with_a_non_data_type(server):
    report = check_url(server.url("/binary"), realtime=True, policy=server.policy())
    got = results(report)
    assert got["reachable"] == "pass"
    assert got["media_type"] == "fail" and "application/octet-stream" in evidence(report, "media_type")
    assert all(
        got[check_id] == "n/a" for check_id in ("rdf_parses", "content_negotiation", "licence", "generated_at", "history_links")
    )


def test_binary_body_labelled_turtle_fails_to_parse(server):
    report = check_url(server.url("/binary-as-turtle"), policy=server.policy())
    assert results(report)["media_type"] == "pass"
    assert results(report)["rdf_parses"] == "fail" and "does not parse" in evidence(report, "rdf_parses")


def test_csv_is_machine_readable_and_the_rdf_checks_do_not_apply(server):
    report = check_url(server.url("/csv"), realtime=True, policy=server.policy())
    got = results(report)
    assert got["media_type"] == "pass" and "not RDF" in evidence(report, "media_type")
    assert {got[c] for c in ("rdf_parses", "content_negotiation", "licence", "generated_at", "history_links")} == {"n/a"}


def test_html_is_not_machine_readable(server):
    report = check_url(server.url("/html"), policy=server.policy())
    assert results(report)["media_type"] == "fail"


def test_redirect_is_followed(server):
    report = check_url(server.url("/redirect-good"), policy=server.policy())
    assert report.final_url == server.url("/good")
    assert results(report)["reachable"] == "pass" and "after 1 redirect" in evidence(report, "reachable")
    assert results(report)["licence"] == "pass"


@pytest.mark.parametrize(
    ("path", "address", "kind"),
    [("/redirect-private", "10.0.0.1", "private"), ("/redirect-metadata", "169.254.169.254", "link-local")],
)
def test_redirect_to_a_private_address_is_refused(server, guard, path, address, kind):
    report = check_url(server.url(path), policy=server.policy())
    assert report.refused is None  # the URL given was fine; the redirect was not
    check = report.get("reachable")
    assert check.result == "fail"
    assert "refused" in check.evidence and address in check.evidence and kind in check.evidence
    assert "after 1 redirect" in check.evidence
    assert not any(connection.startswith(address) for connection in guard.connections)
    assert results(report)["cors"] == "fail" and "refused" in evidence(report, "cors")


def test_redirect_to_ftp_is_refused(server):
    report = check_url(server.url("/redirect-ftp"), policy=server.policy())
    assert results(report)["reachable"] == "fail" and "ftp://" in evidence(report, "reachable")


def test_too_many_redirects(server):
    report = check_url(server.url("/redirect-loop"), policy=server.policy(max_redirects=2))
    assert results(report)["reachable"] == "fail" and "more than 2 redirects" in evidence(report, "reachable")


def test_not_found(server):
    report = check_url(server.url("/missing"), realtime=True, policy=server.policy())
    got = results(report)
    assert got["reachable"] == "fail" and "HTTP 404" in evidence(report, "reachable")
    assert got["https"] == "fail" and "plain HTTP" in evidence(report, "https")
    assert got["cors"] == "fail" and "404" in evidence(report, "cors")
    assert got["licence"] == "fail"


def test_nothing_listening(server):
    import socket

    with socket.socket() as probe:  # a port that was free a moment ago
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    report = check_url(f"http://127.0.0.1:{port}/", policy=server.policy(allow=(f"127.0.0.1:{port}",)))
    assert results(report)["reachable"] == "fail" and "could not connect" in evidence(report, "reachable")
    assert report.refused is None


def test_to_dict_has_the_documented_shape(server):
    report = check_url(server.url("/good"), policy=server.policy())
    document = report.to_dict()
    assert document["url"] == server.url("/good")
    assert [set(item) - {"detail"} for item in document["checks"]] == [{"id", "result", "evidence", "message", "params"}] * len(
        CHECK_IDS
    )
    assert {item["result"] for item in document["checks"]} <= {"pass", "fail", "n/a"}
    assert document["checked_at"].endswith("Z")
    assert document["passed"] is False and document["final_url"] == server.url("/good")
