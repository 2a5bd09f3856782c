"""Monitoring of published datasets through their stored conformance checks: a dataset's history (its current
verdict, the last change of verdict, its availability per day over the last days) and a city's datasets that fail
now. Read-only; the checks themselves are run and stored by :mod:`pilots.services.workspaces`.

Each read runs a fixed number of statements whatever the length of the history:

- the last change of verdict is found in SQL with ``lag()`` over the dataset's checks (window functions: SQLite
  3.25+ and PostgreSQL), so no history is loaded into Python;
- availability per day selects (checked_at, passed) of the window only, and
  :func:`pilots.conformance.history.daily` counts them per Brussels day. Not ``GROUP BY`` a date in SQL: SQLite has
  no time zones, and a UTC date puts a check run at 00:30 in Brussels on the day before (and days are 23 or 25 hours
  long when the clocks change). The window holds one row per check: about one a day from the nightly pass, a few
  more when someone checks by hand.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import Subquery, func, or_, select
from sqlalchemy.orm import joinedload

from pilots.conformance import history
from pilots.extensions import db
from pilots.models import DatasetCheck, PublishedDataset
from pilots.services import workspaces
from pilots.services.errors import NotFound

#: The days a dataset page shows, today included.
WINDOW_DAYS = 90


def today() -> date:
    """The last day of the window: today in Brussels, from the workspaces' clock (tests set it there or here)."""
    return workspaces.today()


@dataclass(frozen=True)
class VerdictChange:
    """The check at which the verdict became what it is now. ``previous_at`` is the last check with the other
    verdict; None when the verdict never changed (then ``at`` is the first check)."""

    at: datetime
    passed: bool
    previous_at: datetime | None

    @property
    def first_check(self) -> bool:
        return self.previous_at is None


@dataclass(frozen=True)
class DatasetHistory:
    dataset: PublishedDataset  # with its pilot and city loaded
    latest: DatasetCheck | None
    change: VerdictChange | None  # None: never checked
    availability: history.Availability

    @property
    def failing_checks(self) -> list[str]:
        """The checks that failed in the latest run, in the report's order."""
        if self.latest is None:
            return []
        report = self.latest.report if isinstance(self.latest.report, dict) else {}
        failed = history.failed_checks(report)
        return [str(item.get("id")) for item in report.get("checks", ()) if str(item.get("id")) in failed]


@dataclass(frozen=True)
class FailingDataset:
    dataset: PublishedDataset  # with its pilot loaded
    latest: DatasetCheck
    since: datetime  # the first failing check after the last passing one (or the first check)


def _runs(*conditions) -> Subquery:
    """Checks with the verdict of the check before them on the same dataset (``before``: None for a dataset's
    first check), in the order of :func:`workspaces.latest_check_id`: ``checked_at``, then id."""
    order = (DatasetCheck.checked_at, DatasetCheck.id)
    return (
        select(
            DatasetCheck.id,
            DatasetCheck.dataset_id,
            DatasetCheck.checked_at,
            DatasetCheck.passed,
            func.lag(DatasetCheck.passed).over(partition_by=DatasetCheck.dataset_id, order_by=order).label("before"),
            func.lag(DatasetCheck.checked_at, type_=DatasetCheck.checked_at.type)
            .over(partition_by=DatasetCheck.dataset_id, order_by=order)
            .label("before_at"),
        )
        .where(*conditions)
        .subquery("runs")
    )


def _changes(runs: Subquery):
    """A dataset's first check and every check whose verdict differs from the one before it."""
    return or_(runs.c.before.is_(None), runs.c.before != runs.c.passed)


def last_change(dataset_id: int) -> VerdictChange | None:
    """When the dataset's verdict last flipped between passing and failing (one statement)."""
    runs = _runs(DatasetCheck.dataset_id == dataset_id)
    row = db.session.execute(
        select(runs.c.checked_at, runs.c.passed, runs.c.before_at)
        .where(_changes(runs))
        .order_by(runs.c.checked_at.desc(), runs.c.id.desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    return VerdictChange(row.checked_at, bool(row.passed), row.before_at)


def availability(dataset_id: int, days: int = WINDOW_DAYS, last_day: date | None = None) -> history.Availability:
    """The dataset's checks per day over the ``days`` days ending on ``last_day`` (default: today), one statement."""
    last_day = last_day or today()
    start, end = history.window(last_day, days, workspaces.PROGRAMME_TIMEZONE)
    rows = db.session.execute(
        select(DatasetCheck.checked_at, DatasetCheck.passed).where(
            DatasetCheck.dataset_id == dataset_id, DatasetCheck.checked_at >= start, DatasetCheck.checked_at < end
        )
    )
    return history.daily(((checked_at, passed) for checked_at, passed in rows), last_day, days, workspaces.PROGRAMME_TIMEZONE)


def dataset_history(pilot_id: int, dataset_id: int, days: int = WINDOW_DAYS) -> DatasetHistory:
    """What a dataset's history page shows, in three statements at most: the dataset with its pilot, city and latest
    check; the last change of verdict (not for a dataset never checked); the checks of the window."""
    found = db.session.execute(
        select(PublishedDataset, DatasetCheck)
        .outerjoin(DatasetCheck, DatasetCheck.id == workspaces.latest_check_id())
        .where(PublishedDataset.id == dataset_id, PublishedDataset.pilot_id == pilot_id)
        .options(joinedload(PublishedDataset.pilot))
    ).first()
    if found is None:
        raise NotFound(_l("This dataset does not exist."))
    dataset, latest = found
    change = last_change(dataset.id) if latest is not None else None
    return DatasetHistory(dataset, latest, change, availability(dataset.id, days))


def failing_datasets(city_id: int) -> list[FailingDataset]:
    """The city's published datasets whose latest check failed, longest failing first, with since when they fail:
    one statement whatever the number of datasets and checks."""
    runs = _runs(DatasetCheck.dataset_id.in_(select(PublishedDataset.id).where(PublishedDataset.city_id == city_id)))
    since = (
        select(runs.c.dataset_id, func.max(runs.c.checked_at).label("since"))
        .where(_changes(runs))
        .group_by(runs.c.dataset_id)
        .subquery("since")
    )
    rows = db.session.execute(
        select(PublishedDataset, DatasetCheck, since.c.since)
        .join(DatasetCheck, DatasetCheck.id == workspaces.latest_check_id())
        .join(since, since.c.dataset_id == PublishedDataset.id)
        .where(PublishedDataset.city_id == city_id, DatasetCheck.passed.is_(False))
        .options(joinedload(PublishedDataset.pilot))
        .order_by(since.c.since, PublishedDataset.id)
    ).all()
    return [FailingDataset(dataset, latest, when) for dataset, latest, when in rows]
