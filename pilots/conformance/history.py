"""What a new check changes in a dataset's record: checks failing twice in a row, or a recovery.

Pure: stored reports (``CheckReport.to_dict()``) in, a verdict out. A single failing run may be a blip (a
restart, a network hiccup); the same check failing on two consecutive runs is worth telling someone, once; and
so is the first passing run after that.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
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
