"""Issue 11, finding 3: one wall-clock budget and a memory cap over fetching *and* parsing.

Each hostile answer here is small (under a few MB) and quick to send, and each kept a check busy for minutes
before: the budget stops it, and the report says "too slow" or "too large" to check, keeping what was known
before parsing began. The margins are wide on purpose: the billion laughs takes over 100 s to parse on the
machine these tests were written on, against a budget of 3 s, so a faster machine cannot make them pass early.
"""

from __future__ import annotations

import time

from pilots.conformance import CHECK_IDS, check_url
from pilots.conformance.isolated import check_url_isolated


def test_a_good_dataset_gives_the_same_report_in_the_child_process(server):
    policy = server.policy()
    isolated = check_url_isolated(server.url("/good"), realtime=True, policy=policy)
    direct = check_url(server.url("/good"), realtime=True, policy=policy)
    assert isolated.results == direct.results
    assert isolated.limit is None
    assert [check.id for check in isolated.checks] == list(CHECK_IDS)


def test_a_billion_laughs_is_stopped_at_the_budget(server):
    started = time.monotonic()
    report = check_url_isolated(server.url("/laughs.rdf"), policy=server.policy(total_timeout=3.0))
    elapsed = time.monotonic() - started
    assert report.limit == "time"
    # What was known before parsing is kept: the answer itself was fine.
    assert report.get("reachable").result == "pass"
    assert report.get("media_type").result == "pass"
    assert report.get("rdf_parses").result == "fail"
    assert "too slow to check" in report.get("rdf_parses").evidence
    assert "3 s" in report.get("rdf_parses").evidence
    assert report.get("generated_at").result == "n/a"  # not real-time: not asked for, stopped or not
    assert not report.passed
    assert elapsed < 30  # 3 s and the grace, not the minutes the parser would take


def test_a_memory_hungry_dataset_is_stopped_at_the_memory_cap(server):
    policy = server.policy(max_bytes=5_000_000, total_timeout=60.0)
    report = check_url_isolated(server.url("/many-triples"), policy=policy, max_memory=192 * 1024 * 1024)
    assert report.limit == "memory"
    assert report.get("reachable").result == "pass"
    assert "too large to check" in report.get("rdf_parses").evidence
    assert "192 MB" in report.get("rdf_parses").evidence
    # With room to work, the same dataset is checked to the end.
    report = check_url_isolated(server.url("/many-triples"), policy=policy)
    assert report.limit is None
    assert "120000 triples" in report.get("rdf_parses").evidence


def test_remote_contexts_used_thousands_of_times_are_refused_quickly(server):
    started = time.monotonic()
    report = check_url_isolated(server.url("/many-contexts.jsonld"), policy=server.policy(max_bytes=1_000_000))
    assert report.limit is None  # refused by the JSON-LD limit itself, long before the budget
    assert report.get("rdf_parses").result == "fail"
    assert "more than 100000 term definitions" in report.get("rdf_parses").evidence
    assert time.monotonic() - started < server.policy().total_timeout
