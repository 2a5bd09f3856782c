"""A dataset's availability per day: checks counted per Brussels day over a window of days, every day present."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pilots.conformance.history import Availability, Day, DayResult, daily, window

BRUSSELS = ZoneInfo("Europe/Brussels")


def at(*args: int) -> datetime:
    """A Brussels wall-clock time."""
    return datetime(*args, tzinfo=BRUSSELS)


def test_every_day_of_the_window_is_there_with_its_result():
    checks = [
        (at(2026, 3, 29, 3, 0), True),
        (at(2026, 3, 30, 3, 0), True),
        (at(2026, 3, 30, 14, 0), False),
        (at(2026, 3, 31, 3, 0), False),
    ]
    found = daily(checks, date(2026, 3, 31), 5, BRUSSELS)
    assert [day.day for day in found.days] == [date(2026, 3, 27) + timedelta(days=n) for n in range(5)]
    assert [day.result for day in found.days] == [
        DayResult.NONE,
        DayResult.NONE,
        DayResult.PASSED,
        DayResult.MIXED,
        DayResult.FAILED,
    ]
    assert [(day.checks, day.passed, day.failed) for day in found.days][2:] == [(1, 1, 0), (2, 1, 1), (1, 0, 1)]
    assert (found.first_day, found.last_day) == (date(2026, 3, 27), date(2026, 3, 31))
    assert (found.checked_days, found.available_days, found.unchecked_days) == (3, 1, 2)
    assert found.share == pytest.approx(1 / 3)
    assert found.count(DayResult.NONE) == found.count("none") == 2


def test_days_are_brussels_days_not_utc_dates():
    """00:30 in Brussels is still the day before in UTC; the check counts on the Brussels day."""
    found = daily([(datetime(2026, 7, 1, 22, 30, tzinfo=UTC), False)], date(2026, 7, 2), 2, BRUSSELS)
    assert [(day.day, day.checks) for day in found.days] == [(date(2026, 7, 1), 0), (date(2026, 7, 2), 1)]


def test_the_window_runs_from_midnight_to_midnight_in_brussels():
    start, end = window(date(2026, 3, 31), 90, BRUSSELS)
    assert start == datetime(2025, 12, 31, 23, 0, tzinfo=UTC)  # 1 January, 00:00 (winter time)
    assert end == datetime(2026, 3, 31, 22, 0, tzinfo=UTC)  # 1 April, 00:00 (summer time)
    inside = [(start, True), (end - timedelta(microseconds=1), False)]
    outside = [(start - timedelta(microseconds=1), False), (end, True)]
    found = daily(inside + outside, date(2026, 3, 31), 90, BRUSSELS)
    assert len(found.days) == 90
    assert (found.days[0].day, found.days[0].checks, found.days[0].passed) == (date(2026, 1, 1), 1, 1)
    assert (found.days[-1].day, found.days[-1].checks, found.days[-1].passed) == (date(2026, 3, 31), 1, 0)
    assert sum(day.checks for day in found.days) == 2


def test_the_days_when_the_clocks_change_are_whole_days():
    spring, autumn = date(2026, 3, 29), date(2026, 10, 25)  # 23 and 25 hours long
    for day, hours in ((spring, 23), (autumn, 25)):
        start, end = window(day, 1, BRUSSELS)
        assert end - start == timedelta(hours=hours)
        late = daily([(end - timedelta(minutes=1), True)], day, 1, BRUSSELS)
        assert late.days == (Day(day, 1, 1),)


def test_without_checks_there_is_no_share():
    found = daily([], date(2026, 3, 31), 3, BRUSSELS)
    assert found.share is None and found.checked_days == 0 and found.unchecked_days == 3
    assert {day.result for day in found.days} == {DayResult.NONE}


def test_naive_times_and_empty_windows_are_refused():
    with pytest.raises(ValueError, match="naive"):
        daily([(datetime(2026, 3, 31, 12, 0), True)], date(2026, 3, 31), 3, BRUSSELS)
    with pytest.raises(ValueError, match="at least one day"):
        window(date(2026, 3, 31), 0, BRUSSELS)


ZONES = st.sampled_from([UTC, BRUSSELS, ZoneInfo("America/New_York")])
CHECKS = st.lists(
    st.tuples(
        st.datetimes(min_value=datetime(2025, 9, 1), max_value=datetime(2027, 5, 1), timezones=ZONES),
        st.booleans(),
    ),
    max_size=60,
)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])  # a busy machine is no failure
@given(CHECKS, st.dates(min_value=date(2025, 10, 1), max_value=date(2027, 4, 1)), st.integers(min_value=1, max_value=120))
def test_each_check_in_the_window_counts_once_on_its_brussels_day(checks, last_day, days):
    found = daily(checks, last_day, days, BRUSSELS)
    assert isinstance(found, Availability) and len(found.days) == days
    assert [day.day for day in found.days] == [last_day - timedelta(days=days - 1 - n) for n in range(days)]
    first_day = last_day - timedelta(days=days - 1)
    local = [(checked_at.astimezone(BRUSSELS).date(), passed) for checked_at, passed in checks]
    expected_checks = Counter(day for day, _ in local if first_day <= day <= last_day)
    expected_passed = Counter(day for day, passed in local if passed and first_day <= day <= last_day)
    assert {day.day: day.checks for day in found.days if day.checks} == dict(expected_checks)
    assert {day.day: day.passed for day in found.days if day.passed} == dict(expected_passed)
    assert sum(found.count(result) for result in DayResult) == days
    assert found.checked_days + found.unchecked_days == days
    if found.share is not None:
        assert 0 <= found.share <= 1
        assert found.share == found.available_days / found.checked_days
