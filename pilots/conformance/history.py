"""What a new check changes in a dataset's record: checks failing twice in a row, or a recovery; and a dataset's
availability per day over a window of days (:func:`daily`).

Pure: stored reports (``CheckReport.to_dict()``) in, a verdict out. A single failing run may be a blip (a
restart, a network hiccup); the same check failing on two consecutive runs is worth telling someone, once; and
so is the first passing run after that.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any


def failed_checks(report: dict[str, Any]) -> set[str]:
    return {str(check.get("id")) for check in report.get("checks", ()) if check.get("result") == "fail"}


@dataclass(frozen=True)
class Change:
    newly_failing: frozenset[str]  # checks failing on this run and the one before, but not on the run before that
    recovered: bool  # nothing fails now, and something failed on the two runs before


def change(newest_first: Sequence[dict[str, Any]]) -> Change:
    """The change the newest report (first) makes, given the two before it (if any)."""
    now, previous, before = (failed_checks(r) for r in (*newest_first[:3], {}, {}, {})[:3])
    persistent_now = now & previous
    persistent_before = previous & before
    return Change(frozenset(persistent_now - persistent_before), not now and bool(persistent_before))


# --- availability per day ----------------------------------------------------------------------------------------
#
# A dataset's availability over a window of days: for each calendar day of the programme's time zone, how many
# checks ran and how many passed. The days are local days (23 or 25 hours long when the clocks change), which is
# why they are counted here and not in SQL: SQLite has no time zones, and a UTC date would put a check at 00:30 in
# Brussels on the day before. The caller selects (checked_at, passed) of the window only (see :func:`window`).


class DayResult(enum.StrEnum):
    PASSED = "passed"  # every check that day passed
    MIXED = "mixed"  # some checks that day passed, some failed
    FAILED = "failed"  # every check that day failed
    NONE = "none"  # no check that day


@dataclass(frozen=True)
class Day:
    day: date
    checks: int = 0
    passed: int = 0

    @property
    def failed(self) -> int:
        return self.checks - self.passed

    @property
    def result(self) -> DayResult:
        if not self.checks:
            return DayResult.NONE
        if self.passed == self.checks:
            return DayResult.PASSED
        return DayResult.FAILED if not self.passed else DayResult.MIXED


@dataclass(frozen=True)
class Availability:
    days: tuple[Day, ...]  # every day of the window, oldest first

    @property
    def first_day(self) -> date:
        return self.days[0].day

    @property
    def last_day(self) -> date:
        return self.days[-1].day

    @property
    def checked_days(self) -> int:
        return sum(1 for day in self.days if day.checks)

    @property
    def available_days(self) -> int:
        """Days on which every check passed."""
        return sum(1 for day in self.days if day.result is DayResult.PASSED)

    @property
    def unchecked_days(self) -> int:
        return len(self.days) - self.checked_days

    @property
    def share(self) -> float | None:
        """The share of the days with a check on which every check passed (0..1); None without any check."""
        return self.available_days / self.checked_days if self.checked_days else None

    def count(self, result: DayResult | str) -> int:
        """The days with this result (a DayResult or its value)."""
        return sum(1 for day in self.days if day.result == result)


def window(last_day: date, days: int, zone: tzinfo) -> tuple[datetime, datetime]:
    """The window of ``days`` calendar days ending on ``last_day`` (included) in ``zone``, as UTC instants: from
    midnight of its first day (included) to midnight after its last day (excluded)."""
    if days < 1:
        raise ValueError("a window has at least one day")
    first_day = last_day - timedelta(days=days - 1)
    start = datetime.combine(first_day, time(0), tzinfo=zone).astimezone(UTC)
    end = datetime.combine(last_day + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)
    return start, end


def daily(checks: Iterable[tuple[datetime, bool]], last_day: date, days: int, zone: tzinfo) -> Availability:
    """Count (checked_at, passed) pairs per local day of the window that ends on ``last_day``; every day of the
    window is present, with no check when none ran. Checks outside the window are left out; naive datetimes are
    refused (they are ambiguous)."""
    start, end = window(last_day, days, zone)
    first_day = last_day - timedelta(days=days - 1)
    counts = [[0, 0] for _ in range(days)]
    for checked_at, passed in checks:
        if checked_at.tzinfo is None:
            raise ValueError("naive datetimes are ambiguous; pass a timezone-aware value")
        if not start <= checked_at < end:
            continue
        index = (checked_at.astimezone(zone).date() - first_day).days
        counts[index][0] += 1
        counts[index][1] += bool(passed)
    return Availability(tuple(Day(first_day + timedelta(days=n), checks, passed) for n, (checks, passed) in enumerate(counts)))
