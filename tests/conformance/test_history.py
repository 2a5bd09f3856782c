"""Two failing runs in a row are news once; so is the recovery after them."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pilots.conformance.history import change, failed_checks

IDS = ["reachable", "https", "cors", "caching"]


def report(*failing: str) -> dict:
    return {"checks": [{"id": i, "result": "fail" if i in failing else "pass"} for i in IDS] + [{"id": "x", "result": "n/a"}]}


def test_one_failing_run_is_not_news_the_second_is_the_third_is_not():
    assert change([report("https")]).newly_failing == frozenset()
    assert change([report("https"), report()]).newly_failing == frozenset()
    assert change([report("https"), report("https")]).newly_failing == {"https"}
    assert change([report("https"), report("https"), report()]).newly_failing == {"https"}
    assert change([report("https"), report("https"), report("https")]).newly_failing == frozenset()
    assert change([report("https", "cors"), report("https", "cors"), report("https")]).newly_failing == {"cors"}
    assert change([report("cors"), report("https"), report()]).newly_failing == frozenset()  # not the same check


def test_the_first_passing_run_after_two_failures_is_a_recovery():
    assert change([report(), report("https"), report("https")]).recovered
    assert not change([report(), report("https"), report()]).recovered  # one failure was not news either
    assert not change([report(), report()]).recovered
    assert not change([report("cors"), report("https"), report("https")]).recovered  # still failing
    assert failed_checks(report("https", "cors")) == {"https", "cors"}


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])  # a loaded machine is not a failure
@given(st.lists(st.sets(st.sampled_from(IDS)), min_size=1, max_size=12))
def test_each_persistent_failure_is_news_once_per_episode(history):
    """Over a history (oldest first), a check is news exactly when it starts a run of two or more failures."""
    reports = [report(*failing) for failing in history]
    for index in range(len(reports)):
        newest_first = list(reversed(reports[: index + 1]))
        news = change(newest_first).newly_failing
        for check in IDS:
            starts_episode = (
                index >= 1
                and check in history[index]
                and check in history[index - 1]
                and not (index >= 2 and check in history[index - 2])
            )
            assert (check in news) == starts_episode
