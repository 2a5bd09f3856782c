"""The freshness rule: generated recently enough for the declared update frequency.

The pure rule (:func:`pilots.conformance.freshness.judge`) on made-up times, with properties: an older
generation time never passes where a newer one fails, the limit itself passes, the same instant in any
timezone gives the same verdict, a naive time is UTC. Then the real checker against the loopback dataset
endpoint, with ``now`` passed in: no sleeps, no clock.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import httpx
import pytest
import rdflib
from hypothesis import assume, given
from hypothesis import strategies as st

from pilots.conformance import CHECK_IDS, FetchPolicy, check_url
from pilots.conformance.fetch import Fetched
from pilots.conformance.freshness import (
    CLOCK_SKEW,
    CONTINUOUS,
    PERIODS,
    REALTIME_TOLERANCE,
    Generated,
    allowed_age,
    check_freshness,
    generated_in_graph,
    judge,
    last_modified,
)
from pilots.conformance.isolated import check_url_isolated
from pilots.conformance.rdf import parse
from tests.dataset_endpoint import DatasetEndpoint

URL = "https://data.stad.gent/parking/realtime"
NOW = datetime(2026, 3, 2, 8, 30, tzinfo=UTC)
WITHOUT_PERIOD = ["IRREG", "UNKNOWN", "NEVER", "OTHER", "AS_NEEDED", "made-up"]

codes = st.sampled_from([None, *sorted(CONTINUOUS), *sorted(PERIODS), *WITHOUT_PERIOD])
moments = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2040, 1, 1), timezones=st.just(UTC))  # aware, in UTC
offsets = st.integers(min_value=-14 * 60, max_value=14 * 60).map(lambda minutes: timezone(timedelta(minutes=minutes)))
ages = st.timedeltas(min_value=-timedelta(days=30), max_value=timedelta(days=40_000))


def stamp(at: datetime) -> Generated:
    return Generated(at, "prov:generatedAtTime", at.isoformat())


# --- the allowed age --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("frequency", "realtime", "allowed"),
    [
        ("CONT", True, REALTIME_TOLERANCE),
        ("UPDATE_CONT", False, REALTIME_TOLERANCE),
        (None, True, REALTIME_TOLERANCE),
        ("UNKNOWN", True, REALTIME_TOLERANCE),
        ("IRREG", True, REALTIME_TOLERANCE),
        ("HOURLY", True, timedelta(hours=2)),
        ("DAILY", False, timedelta(days=2)),
        ("daily", False, timedelta(days=2)),
        ("http://publications.europa.eu/resource/authority/frequency/WEEKLY", False, timedelta(days=14)),
        ("1MIN", True, REALTIME_TOLERANCE),  # twice a minute would be stricter than continuous data
        ("30MIN", False, timedelta(hours=1)),
        (None, False, None),
        ("UNKNOWN", False, None),
        ("NEVER", False, None),
        ("", False, None),
    ],
)
def test_allowed_age(frequency, realtime, allowed):
    assert timedelta(minutes=15) == REALTIME_TOLERANCE
    assert allowed_age(frequency, realtime) == allowed


@given(st.sampled_from(sorted(PERIODS)), st.booleans())
def test_a_fixed_period_allows_twice_the_period_never_less_than_the_tolerance(code, realtime):
    assert allowed_age(code, realtime) == max(2 * PERIODS[code], REALTIME_TOLERANCE)


# --- the pure rule: properties ----------------------------------------------------------------------------------


@given(moments, ages, ages, codes, st.booleans())
def test_an_older_time_never_passes_where_a_newer_one_fails(now, first, second, frequency, realtime):
    older, newer = now - max(first, second), now - min(first, second)
    assume(newer - now <= CLOCK_SKEW)  # a newer time far in the future fails for being in the future, not for its age
    old = judge(now, stamp(older), frequency, realtime=realtime).result
    new = judge(now, stamp(newer), frequency, realtime=realtime).result
    assert not (old == "pass" and new == "fail"), (older, newer)
    assert {old, new} <= {"pass", "fail", "n/a"}


@given(moments, st.sampled_from([*sorted(CONTINUOUS), *sorted(PERIODS)]), st.booleans())
def test_the_limit_passes_and_one_microsecond_more_fails(now, frequency, realtime):
    allowed = allowed_age(frequency, realtime)
    assert allowed is not None
    at_limit = judge(now, stamp(now - allowed), frequency, realtime=realtime)
    beyond = judge(now, stamp(now - allowed - timedelta(microseconds=1)), frequency, realtime=realtime)
    assert at_limit.result == "pass", at_limit
    assert beyond.result == "fail", beyond
    assert "old, more than the" in beyond.evidence and "old, within the" in at_limit.evidence


@given(moments, codes, st.booleans())
def test_up_to_the_clock_skew_ahead_passes_beyond_it_fails_as_in_the_future(now, frequency, realtime):
    assume(allowed_age(frequency, realtime) is not None)
    ahead = judge(now, stamp(now + CLOCK_SKEW), frequency, realtime=realtime)
    future = judge(now, stamp(now + CLOCK_SKEW + timedelta(microseconds=1)), frequency, realtime=realtime)
    assert ahead.result == "pass" and "ahead of the checker's clock" in ahead.evidence
    assert future.result == "fail" and "in the future" in future.evidence


@given(moments, ages, offsets, offsets, codes, st.booleans())
def test_the_same_instant_in_any_timezone_gives_the_same_verdict(now, age, zone, now_zone, frequency, realtime):
    generated = now - age
    in_utc = judge(now, stamp(generated), frequency, realtime=realtime)
    elsewhere = judge(now.astimezone(now_zone), stamp(generated.astimezone(zone)), frequency, realtime=realtime)
    assert elsewhere.result == in_utc.result


@given(moments, ages, codes, st.booleans())
def test_a_time_without_a_timezone_is_utc(now, age, frequency, realtime):
    generated = now - age
    naive = judge(now, stamp(generated.replace(tzinfo=None)), frequency, realtime=realtime)
    assert naive.result == judge(now, stamp(generated), frequency, realtime=realtime).result


@given(moments, st.one_of(st.none(), moments), st.sampled_from([None, *WITHOUT_PERIOD]))
def test_not_real_time_without_a_fixed_frequency_is_not_applicable(now, generated, frequency):
    check = judge(now, None if generated is None else stamp(generated), frequency, realtime=False)
    assert check.result == "n/a" and "not real-time" in check.evidence


@given(moments, codes)
def test_real_time_data_that_does_not_say_when_it_was_generated_fails(now, frequency):
    check = judge(now, None, frequency, realtime=True)
    assert check.id == "freshness" and check.result == "fail"
    assert check.evidence.startswith("no prov:generatedAtTime or Last-Modified")


def test_other_data_that_does_not_say_is_not_judged():
    check = judge(NOW, None, "DAILY", realtime=False)
    assert check.result == "n/a" and "required only for real-time data" in check.evidence


def test_the_evidence_names_the_source_the_age_and_the_allowance():
    fresh = judge(NOW, Generated(NOW - timedelta(minutes=4, seconds=30), "Last-Modified", "x"), "CONT", realtime=True)
    assert fresh.evidence == (
        "Last-Modified x is 4 minutes 30 seconds old, within the 15 minutes allowed for continuously updated data (CONT)"
    )
    stale = judge(NOW, stamp(NOW - timedelta(days=3, hours=1, minutes=2)), "DAILY", realtime=False)
    assert stale.result == "fail"
    assert stale.evidence.endswith("is 3 days 1 hour old, more than the 2 days allowed for the update frequency DAILY")
    assert judge(NOW, stamp(NOW - timedelta(hours=1)), None, realtime=True).evidence.endswith("allowed for real-time data")


def test_now_must_be_timezone_aware():
    with pytest.raises(ValueError, match="timezone-aware"):
        judge(NOW.replace(tzinfo=None), stamp(NOW), "CONT", realtime=True)


# --- where the time is read -------------------------------------------------------------------------------------


def graph(turtle: str) -> rdflib.Graph:
    prefixes = (
        "@prefix dct: <http://purl.org/dc/terms/> . @prefix prov: <http://www.w3.org/ns/prov#> .\n"
        "@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n"
    )
    return parse((prefixes + turtle).encode(), "text/turtle", URL)


def answer(headers: dict[str, str] | None = None, status: int = 200) -> Fetched:
    return Fetched(url=URL, chain=[URL], status=status, reason="OK", headers=httpx.Headers(headers or {}), body=b"")


def test_the_document_time_comes_first_then_the_dataset_s_the_latest_of_several():
    both = graph(
        '<> prov:generatedAtTime "2026-03-02T08:00:00Z"^^xsd:dateTime, "2026-03-02T08:20:00+01:00"^^xsd:dateTime ;\n'
        "   dct:isPartOf <http://example.org/dataset> .\n"
        '<http://example.org/dataset> prov:generatedAtTime "2026-03-02T08:29:00Z"^^xsd:dateTime .\n'
    )
    found = generated_in_graph(both, [URL])
    assert found is not None and found.at == datetime(2026, 3, 2, 8, 0, tzinfo=UTC)  # 08:20+01:00 is 07:20 UTC
    dataset_only = graph(
        "<> dct:isPartOf <http://example.org/dataset> .\n"
        '<http://example.org/dataset> prov:generatedAtTime "2026-03-02T08:29:00Z"^^xsd:dateTime .\n'
    )
    assert generated_in_graph(dataset_only, [URL]).at == datetime(2026, 3, 2, 8, 29, tzinfo=UTC)


def test_values_that_are_not_an_xsd_datetime_are_skipped():
    odd = graph('<> prov:generatedAtTime "yesterday", "2026-03-02"^^xsd:date, "0001-01-01T00:00:00+14:00"^^xsd:dateTime .\n')
    assert generated_in_graph(odd, [URL]) is None
    other = graph('<http://example.org/other> prov:generatedAtTime "2026-03-02T08:29:00Z"^^xsd:dateTime .\n')
    assert generated_in_graph(other, [URL]) is None


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("Mon, 02 Mar 2026 08:25:00 GMT", datetime(2026, 3, 2, 8, 25, tzinfo=UTC)),
        ("Mon, 02 Mar 2026 09:25:00 +0100", datetime(2026, 3, 2, 8, 25, tzinfo=UTC)),
        ("Mon, 02 Mar 2026 08:25:00 -0000", datetime(2026, 3, 2, 8, 25, tzinfo=UTC)),  # naive: UTC
        ("yesterday", None),
        ("", None),
        (None, None),
    ],
)
def test_last_modified(header, expected):
    found = last_modified(answer({} if header is None else {"Last-Modified": header}))
    if expected is None:
        assert found is None
    else:
        assert found is not None and found.source == "Last-Modified"
        assert found.at.replace(tzinfo=found.at.tzinfo or UTC) == expected


def test_last_modified_is_used_when_the_rdf_does_not_say():
    fetched = answer({"Last-Modified": "Mon, 02 Mar 2026 08:25:00 GMT"})
    check = check_freshness(NOW, fetched, graph("<> dct:license <http://example.org/l> .\n"), "CONT", realtime=True)
    assert check.result == "pass" and check.evidence.startswith("Last-Modified Mon, 02 Mar 2026 08:25:00 GMT is 5 minutes")
    rdf_says = graph('<> prov:generatedAtTime "2026-03-02T06:00:00Z"^^xsd:dateTime .\n')
    check = check_freshness(NOW, fetched, rdf_says, "CONT", realtime=True)  # the document's own word comes first
    assert check.result == "fail" and check.evidence.startswith("prov:generatedAtTime 2026-03-02T06:00:00+00:00")
    assert check_freshness(NOW, fetched, None, "HOURLY", realtime=False).result == "pass"  # not RDF: the header


def test_without_an_answer_it_is_not_checked_when_it_applies():
    missing = answer(status=404)
    check = check_freshness(NOW, missing, None, "CONT", realtime=True)
    assert check.result == "fail" and check.evidence == "not checked: the URL answered HTTP 404"
    assert check_freshness(NOW, missing, None, None, realtime=False).result == "n/a"


# --- the real checker against the loopback endpoint -------------------------------------------------------------

OBSERVATIONS = 'ex:garage-1 ex:naam "Centrum" ; ex:vrijePlaatsen 212 .'


@pytest.fixture
def endpoint():
    with DatasetEndpoint("/parkeerbezetting", "2026-03-02T08:20:00Z", OBSERVATIONS) as served:
        yield served


def policy(endpoint: DatasetEndpoint) -> FetchPolicy:
    return FetchPolicy(allow=(endpoint.allow,), timeout=2.0, total_timeout=10.0)


def test_a_fresh_real_time_document_passes_and_a_stale_one_fails(endpoint):
    url = f"{endpoint.base}/parkeerbezetting"
    fresh = check_url(url, realtime=True, frequency="CONT", policy=policy(endpoint), now=NOW)
    assert [check.id for check in fresh.checks] == list(CHECK_IDS)
    assert fresh.get("freshness").result == "pass"
    assert fresh.get("freshness").evidence == (
        "prov:generatedAtTime 2026-03-02T08:20:00+00:00 is 10 minutes old, within the 15 minutes allowed for "
        "continuously updated data (CONT)"
    )
    assert fresh.checked_at == NOW
    assert {check.id for check in fresh.checks if check.result == "fail"} == {"https"}  # plain HTTP on loopback

    endpoint.generated = "2026-03-02T07:30:00Z"
    stale = check_url(url, realtime=True, frequency="CONT", policy=policy(endpoint), now=NOW)
    assert stale.get("freshness").result == "fail"
    assert "is 1 hour old, more than the 15 minutes allowed" in stale.get("freshness").evidence
    assert stale.get("generated_at").result == "pass"  # dated, just not recently
    stored = stale.to_dict()["checks"][-1]
    assert {key: stored[key] for key in ("id", "result", "evidence")} == {
        "id": "freshness",
        "result": "fail",
        "evidence": stale.get("freshness").evidence,
    }
    assert stored["message"] == "freshness.stale" and stored["params"]["basis"]["params"] == {"frequency": "CONT"}


def test_the_declared_frequency_decides_how_old_is_too_old(endpoint):
    url = f"{endpoint.base}/parkeerbezetting"
    endpoint.generated = "2026-03-01T09:00:00Z"  # 23.5 hours before NOW
    assert check_url(url, realtime=True, frequency="DAILY", policy=policy(endpoint), now=NOW).get("freshness").result == "pass"
    assert check_url(url, realtime=True, frequency="HOURLY", policy=policy(endpoint), now=NOW).get("freshness").result == "fail"
    assert check_url(url, realtime=True, policy=policy(endpoint), now=NOW).get("freshness").result == "fail"  # 15 minutes
    assert check_url(url, policy=policy(endpoint), now=NOW).get("freshness").result == "n/a"  # not real-time, no frequency


def test_last_modified_serves_when_the_document_states_no_time(endpoint):
    url = f"{endpoint.base}/parkeerbezetting"
    endpoint.generated = None
    report = check_url(url, realtime=True, frequency="CONT", policy=policy(endpoint), now=NOW)
    assert report.get("generated_at").result == "fail"
    assert report.get("freshness").result == "fail"
    assert report.get("freshness").evidence.startswith("no prov:generatedAtTime or Last-Modified")
    endpoint.last_modified = "Mon, 02 Mar 2026 08:28:00 GMT"
    report = check_url(url, realtime=True, frequency="CONT", policy=policy(endpoint), now=NOW)
    assert report.get("freshness").result == "pass"
    assert report.get("freshness").evidence.startswith("Last-Modified Mon, 02 Mar 2026 08:28:00 GMT is 2 minutes old")


def test_the_isolated_runner_passes_frequency_and_now_to_the_check(endpoint):
    url = f"{endpoint.base}/parkeerbezetting"
    endpoint.generated = "2026-03-02T07:30:00Z"
    report = check_url_isolated(url, realtime=True, frequency="HOURLY", policy=policy(endpoint), now=NOW)
    assert report.checked_at == NOW
    assert report.get("freshness").result == "pass"  # an hour old, two allowed
    report = check_url_isolated(url, realtime=True, frequency="CONT", policy=policy(endpoint), now=NOW)
    assert report.get("freshness").result == "fail"


def test_a_refused_url_fails_freshness_only_when_it_applies():
    policy = FetchPolicy()
    realtime = check_url("http://10.0.0.1/data", realtime=True, policy=policy, now=NOW)
    assert realtime.get("freshness").result == "fail" and realtime.get("freshness").evidence.startswith("not checked")
    other = check_url("http://10.0.0.1/data", policy=policy, now=NOW)
    assert other.get("freshness").result == "n/a"
    with pytest.raises(ValueError, match="timezone-aware"):
        check_url("http://10.0.0.1/data", policy=policy, now=NOW.replace(tzinfo=None))
