"""The programme dashboard: headline figures and the data behind its charts, aggregated in SQL.

Every function runs a fixed number of statements whatever the amount of data (``GROUP BY``, ``COUNT``, correlated
subqueries and window functions); Python only reshapes the aggregated rows. Results are plain frozen dataclasses.

**Filters** (:class:`Filters`, ``None`` means all):

- ``year``: challenges of that year (``Challenge.year``); rounds of that year; pilots of that year, i.e. of a round
  of that year, or started that year when the pilot has no round; datasets published that year (their ``issued``
  date, or the date they were registered when they have none); milestones due that year. The headline's
  "challenges this year" is the filter's year, or the current year without one.
- ``city`` (a slug): challenges the city proposed; pilots the city takes part in (accepted); datasets the city
  publishes; milestones of the pilots the city takes part in. Rounds and the number of cities taking part are
  programme-wide and ignore it (the number of cities ignores the year too: the platform keeps no history of it).

Only proposed challenges count: submitted and not withdrawn (drafts stay private to their city). Conformance is
the result of each dataset's *last* check; the pass share is over the datasets checked at least once, and the
datasets never checked are counted apart.

**Panels.** Every signed-in user sees the headline figures and :data:`PUBLIC_PANELS`: challenges per theme and
year, pilot progress, the city × pilot stage matrix and the datasets published over time per city. The steering
committee also sees :data:`COMMITTEE_PANELS`: conformance per city (which singles out the cities whose datasets
fail) and the milestone timeline with its overdue milestones and the cities that have not finished them: the
committee's follow-up tools, not a public scoreboard.

**Background work** (:func:`background_work`): the jobs that failed for good or that the queue did not take in the
last :data:`BACKGROUND_DAYS` days (:class:`~pilots.models.JobFailure`, written by :mod:`pilots.jobs`), per kind of
work in plain words. The committee sees it (and whoever the view passes ``background=True`` for, see
:func:`can_see_background_work`); nobody sees anything when all went well. One statement.

Cities are compared, never ranked: every per-city list is in alphabetical order whatever its figures, and nothing
here reads the maturity self-assessments.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, and_, case, func, literal, or_, select, union

from pilots.extensions import db
from pilots.jobs import RECOVERY_JOB
from pilots.models import (
    Challenge,
    ChallengeStatus,
    City,
    DatasetCheck,
    FailureKind,
    JobFailure,
    Milestone,
    MilestoneCity,
    MilestoneStatus,
    Participation,
    Pilot,
    PilotStatus,
    PublishedDataset,
    Round,
    RoundPhase,
    Stage,
    User,
    utcnow,
)
from pilots.models.challenge import PUBLIC_STATUSES
from pilots.services.workspaces import today

#: Panels every signed-in user sees (besides the headline figures), and the steering committee's own.
PUBLIC_PANELS = ("challenges", "pilots", "stages", "datasets")
COMMITTEE_PANELS = ("conformance", "milestones")
PANELS = PUBLIC_PANELS + COMMITTEE_PANELS

#: A challenge counts as proposed once submitted, until withdrawn.
PROPOSED = tuple(sorted(PUBLIC_STATUSES - {ChallengeStatus.WITHDRAWN}))


@dataclass(frozen=True)
class Filters:
    year: int | None = None
    city: str | None = None  # slug


# --- the data -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Headline:
    year: int  # the year of ``challenges_in_year``
    cities_active: int
    challenges_in_year: int
    challenges_total: int
    rounds: int
    rounds_published: int
    pilots_by_status: dict[PilotStatus, int]  # every status, in the model's order
    datasets_published: int
    datasets_checked: int  # checked at least once
    datasets_passing: int  # passing their last check

    @property
    def pilots(self) -> int:
        return sum(self.pilots_by_status.values())

    @property
    def datasets_unchecked(self) -> int:
        return self.datasets_published - self.datasets_checked

    @property
    def pass_share(self) -> float | None:
        """Passing datasets over checked ones (0..1), None when none was checked."""
        return self.datasets_passing / self.datasets_checked if self.datasets_checked else None


@dataclass(frozen=True)
class ThemeYear:
    year: int
    theme: str
    challenges: int


@dataclass(frozen=True)
class PilotRow:
    id: int
    title: str
    status: PilotStatus
    year: int | None  # its round's year, or its start's
    lead_city: str | None
    cities: int  # accepted participating cities
    milestones: int
    overdue: int
    progress: int  # percent, as workspaces.pilot_progress computes it


@dataclass(frozen=True)
class StageCity:
    slug: str
    name: str
    stages: tuple[Stage | None, ...]  # one per pilot of the matrix; None: not taking part


@dataclass(frozen=True)
class StageMatrix:
    pilots: tuple[tuple[int, str], ...]  # (id, title)
    cities: tuple[StageCity, ...]  # alphabetical

    @property
    def empty(self) -> bool:
        return not self.cities


@dataclass(frozen=True)
class DatasetPoint:
    """Datasets a city published in a period, and its running total at the end of it. The period is a year
    (``"2018"``), a month (``"2018-03"``), or ``"before"``: every year before the filter's (only with a year)."""

    slug: str
    name: str
    period: str
    published: int
    cumulative: int


@dataclass(frozen=True)
class DatasetSeries:
    points: tuple[DatasetPoint, ...]  # by city (alphabetical), then period
    periods: tuple[str, ...]  # every period of the chart, in order (not "before")
    by_month: bool  # True with a year filter


@dataclass(frozen=True)
class ConformanceRow:
    slug: str
    name: str
    published: int
    checked: int
    passing: int

    @property
    def failing(self) -> int:
        return self.checked - self.passing

    @property
    def unchecked(self) -> int:
        return self.published - self.checked

    @property
    def pass_share(self) -> float | None:
        return self.passing / self.checked if self.checked else None


@dataclass(frozen=True)
class MilestoneRow:
    id: int
    pilot_id: int
    pilot: str
    title: str
    start_date: date | None
    due_date: date
    per_city: bool
    status: MilestoneStatus
    progress: float  # 0..1, as workspaces.milestone_progress computes it
    overdue: bool
    open_cities: tuple[str, ...] = ()  # per-city milestones: the cities not done yet (alphabetical)

    @property
    def done(self) -> bool:
        return self.progress >= 1


#: The background-work panel looks back this many days.
BACKGROUND_DAYS = 7

#: Job name (pilots.jobs.tasks) -> the kind of work it does, as the panel names it. A job missing here is
#: "other background work".
JOB_WORK = {
    "check_dataset": "check",
    "recheck_datasets": "monitoring",
    "warm_catalogue": "catalogue",
    "send_password_reset": "email",
    "send_invitation": "email",
    "send_notification_emails": "email",
    "send_digests": "digest",
    "remind_voters": "voting_reminders",
    "remind_milestones": "milestone_reminders",
    RECOVERY_JOB: "recovery",
}
WORK_LABELS = {
    "check": _l("conformance check"),
    "monitoring": _l("nightly conformance checks"),
    "catalogue": _l("catalogue update"),
    "email": _l("e-mail"),
    "digest": _l("daily e-mail digest"),
    "voting_reminders": _l("voting reminders"),
    "milestone_reminders": _l("milestone reminders"),
    "recovery": _l("restarting interrupted work"),
    "other": _l("other background work"),
}
OUTCOME_LABELS = {
    FailureKind.FAILED: _l("failed"),
    FailureKind.NOT_QUEUED: _l("could not be started: the queue did not answer"),
}


@dataclass(frozen=True)
class BackgroundProblem:
    """One kind of work (see :data:`WORK_LABELS`) that failed, or could not be started, in the panel's days."""

    work: str
    kind: FailureKind
    times: int
    last: datetime

    @property
    def label(self):
        return WORK_LABELS[self.work]

    @property
    def outcome(self):
        return OUTCOME_LABELS[self.kind]


@dataclass(frozen=True)
class Dashboard:
    filters: Filters
    headline: Headline
    challenges: tuple[ThemeYear, ...]
    pilots: tuple[PilotRow, ...]
    stages: StageMatrix
    datasets: DatasetSeries
    conformance: tuple[ConformanceRow, ...] | None = None  # committee only
    milestones: tuple[MilestoneRow, ...] | None = None  # committee only: the timeline's (see current_milestones)
    committee: bool = False
    panels: tuple[str, ...] = field(default=PUBLIC_PANELS)
    overdue: tuple[MilestoneRow, ...] = ()  # committee only: every overdue milestone, by due date
    milestones_total: int = 0  # how many milestones the timeline stands for (it may show fewer)
    background: tuple[BackgroundProblem, ...] = ()  # the committee's (see background_work); empty when all went well
    background_days: int = BACKGROUND_DAYS


# --- shared expressions ----------------------------------------------------------------------------------------


def _city_id(filters: Filters) -> ColumnElement:
    """The filtered city's id as a subquery (an unknown slug matches nothing), so it costs no statement of its own."""
    return select(City.id).where(City.slug == filters.city).scalar_subquery()


def _year_of(column) -> ColumnElement:
    return sa.cast(sa.extract("year", column), sa.Integer)


def _pilot_year() -> ColumnElement:
    """A pilot's year: its round's, or the year it started when it has no round."""
    round_year = select(Round.year).where(Round.id == Pilot.round_id).correlate(Pilot).scalar_subquery()
    return func.coalesce(round_year, _year_of(Pilot.start_date))


def _pilot_conditions(filters: Filters) -> list[ColumnElement]:
    conditions: list[ColumnElement] = []
    if filters.year:
        conditions.append(_pilot_year() == filters.year)
    if filters.city:
        conditions.append(
            Pilot.participants.any(and_(Participation.city_id == _city_id(filters), Participation.accepted.is_(True)))
        )
    return conditions


def _challenge_conditions(filters: Filters, with_year: bool = True) -> list[ColumnElement]:
    conditions: list[ColumnElement] = [Challenge.status.in_(PROPOSED)]
    if with_year and filters.year:
        conditions.append(Challenge.year == filters.year)
    if filters.city:
        conditions.append(Challenge.city_id == _city_id(filters))
    return conditions


def _published_on() -> ColumnElement:
    """When a dataset was published: its ``issued`` date, or when it was registered."""
    return func.coalesce(PublishedDataset.issued, PublishedDataset.created_at)


def _dataset_conditions(filters: Filters, with_year: bool = True) -> list[ColumnElement]:
    conditions: list[ColumnElement] = []
    if with_year and filters.year:
        conditions.append(_year_of(_published_on()) == filters.year)
    if filters.city:
        conditions.append(PublishedDataset.city_id == _city_id(filters))
    return conditions


def _last_checks():
    """Each dataset's last check (latest ``checked_at``, then highest id): ``dataset_id`` and ``passed``."""
    ranked = select(
        DatasetCheck.dataset_id,
        DatasetCheck.passed,
        func.row_number()
        .over(partition_by=DatasetCheck.dataset_id, order_by=(DatasetCheck.checked_at.desc(), DatasetCheck.id.desc()))
        .label("position"),
    ).subquery("ranked_checks")
    return select(ranked.c.dataset_id, ranked.c.passed).where(ranked.c.position == 1).subquery("last_checks")


def _milestone_shares(filters: Filters | None = None):
    """Each milestone's progress (0..1): the share of its cities that are done for a per-city milestone, else 1 when
    done. Columns: ``id``, ``pilot_id``, ``weight``, ``due_date``, ``share``."""
    cities = (
        select(
            MilestoneCity.milestone_id,
            func.count(MilestoneCity.id).label("total"),
            func.sum(case((MilestoneCity.status == MilestoneStatus.DONE, 1), else_=0)).label("done"),
        )
        .group_by(MilestoneCity.milestone_id)
        .subquery("milestone_city_counts")
    )
    share = case(
        (
            Milestone.per_city.is_(True),
            case((cities.c.total > 0, sa.cast(cities.c.done, sa.Float) / cities.c.total), else_=literal(0.0)),
        ),
        (Milestone.status == MilestoneStatus.DONE, literal(1.0)),
        else_=literal(0.0),
    )
    return (
        select(Milestone.id, Milestone.pilot_id, Milestone.weight, Milestone.due_date, share.label("share"))
        .outerjoin(cities, cities.c.milestone_id == Milestone.id)
        .subquery("milestone_shares")
    )


# --- headline figures -----------------------------------------------------------------------------------------


def headline(filters: Filters, on: date | None = None) -> Headline:
    """Two statements: every count as a scalar subquery of one select, and the pilots grouped by status."""
    year = filters.year or (on or today()).year
    last = _last_checks()
    datasets = _dataset_conditions(filters)
    rounds = [Round.year == filters.year] if filters.year else []

    def count(column, *conditions) -> ColumnElement:
        return select(func.count(column)).where(*conditions).scalar_subquery()

    checked = (
        select(func.count(PublishedDataset.id))
        .join(last, last.c.dataset_id == PublishedDataset.id)
        .where(*datasets)
        .scalar_subquery()
    )
    passing = (
        select(func.count(PublishedDataset.id))
        .join(last, last.c.dataset_id == PublishedDataset.id)
        .where(last.c.passed.is_(True), *datasets)
        .scalar_subquery()
    )
    row = db.session.execute(
        select(
            count(City.id, City.active.is_(True)).label("cities"),
            count(Challenge.id, Challenge.year == year, *_challenge_conditions(filters, with_year=False)).label("in_year"),
            count(Challenge.id, *_challenge_conditions(filters, with_year=False)).label("total"),
            count(Round.id, *rounds).label("rounds"),
            count(Round.id, Round.phase == RoundPhase.PUBLISHED, *rounds).label("published_rounds"),
            count(PublishedDataset.id, *datasets).label("datasets"),
            checked.label("checked"),
            passing.label("passing"),
        )
    ).one()
    by_status = dict(
        db.session.execute(
            select(Pilot.status, func.count(Pilot.id)).where(*_pilot_conditions(filters)).group_by(Pilot.status)
        ).all()
    )
    return Headline(
        year=year,
        cities_active=row.cities or 0,
        challenges_in_year=row.in_year or 0,
        challenges_total=row.total or 0,
        rounds=row.rounds or 0,
        rounds_published=row.published_rounds or 0,
        pilots_by_status={status: by_status.get(status, 0) for status in PilotStatus},
        datasets_published=row.datasets or 0,
        datasets_checked=row.checked or 0,
        datasets_passing=row.passing or 0,
    )


# --- the panels -----------------------------------------------------------------------------------------------


def challenges_per_theme(filters: Filters) -> tuple[ThemeYear, ...]:
    """Proposed challenges per year and theme, by year then theme code."""
    rows = db.session.execute(
        select(Challenge.year, Challenge.theme, func.count(Challenge.id))
        .where(*_challenge_conditions(filters))
        .group_by(Challenge.year, Challenge.theme)
        .order_by(Challenge.year, Challenge.theme)
    ).all()
    return tuple(ThemeYear(year, theme, count) for year, theme, count in rows)


def pilot_progress(filters: Filters, on: date | None = None) -> tuple[PilotRow, ...]:
    """The pilots, by year then creation, with their progress: the weighted average of their milestones' progress
    (:func:`pilots.services.workspaces.pilot_progress`, computed in SQL) and their overdue milestones (none for a
    cancelled pilot)."""
    on = on or today()
    shares = _milestone_shares()
    milestones = (
        select(
            shares.c.pilot_id,
            func.count(shares.c.id).label("milestones"),
            func.sum(shares.c.weight).label("weight"),
            func.sum(shares.c.weight * shares.c.share).label("weighted"),
            func.sum(case((and_(shares.c.due_date < on, shares.c.share < 1), 1), else_=0)).label("overdue"),
        )
        .group_by(shares.c.pilot_id)
        .subquery("pilot_milestones")
    )
    cities = (
        select(Participation.pilot_id, func.count(Participation.id).label("cities"))
        .where(Participation.accepted.is_(True))
        .group_by(Participation.pilot_id)
        .subquery("pilot_cities")
    )
    lead = sa.orm.aliased(City)
    year = _pilot_year().label("year")
    rows = db.session.execute(
        select(
            Pilot.id,
            Pilot.title,
            Pilot.status,
            year,
            lead.name,
            func.coalesce(cities.c.cities, 0),
            func.coalesce(milestones.c.milestones, 0),
            func.coalesce(milestones.c.overdue, 0),
            milestones.c.weight,
            milestones.c.weighted,
        )
        .outerjoin(lead, lead.id == Pilot.lead_city_id)
        .outerjoin(cities, cities.c.pilot_id == Pilot.id)
        .outerjoin(milestones, milestones.c.pilot_id == Pilot.id)
        .where(*_pilot_conditions(filters))
        .order_by(year.asc().nulls_last(), Pilot.id)
    ).all()
    result = []
    for pilot_id, title, status, pilot_year, lead_name, city_count, count, overdue, weight, weighted in rows:
        progress = _percent(weighted, weight, status)
        overdue = 0 if status is PilotStatus.CANCELLED else overdue  # a cancelled pilot has nothing left to do
        result.append(PilotRow(pilot_id, title, status, pilot_year, lead_name, city_count, count, overdue, progress))
    return tuple(result)


def _percent(weighted: float | None, weight: float | None, status: PilotStatus) -> int:
    """As :func:`pilots.services.workspaces.pilot_progress`: without milestones, a completed pilot is at 100%."""
    if not weight:
        return 100 if status is PilotStatus.COMPLETED else 0
    return round(100 * float(weighted or 0) / float(weight))


def stage_matrix(filters: Filters) -> StageMatrix:
    """Each city's stage in each pilot (accepted participations), cities in alphabetical order."""
    year = _pilot_year()
    conditions = [Participation.accepted.is_(True), *_pilot_conditions(filters)]
    if filters.city:
        conditions.append(Participation.city_id == _city_id(filters))
    rows = db.session.execute(
        select(City.slug, City.name, Pilot.id, Pilot.title, year, Participation.stage)
        .select_from(Participation)
        .join(City, City.id == Participation.city_id)
        .join(Pilot, Pilot.id == Participation.pilot_id)
        .where(*conditions)
    ).all()
    pilots: dict[int, tuple[int | None, str]] = {}
    cities: dict[str, tuple[str, dict[int, Stage]]] = {}
    for slug, name, pilot_id, title, pilot_year, stage in rows:
        pilots[pilot_id] = (pilot_year, title)
        cities.setdefault(slug, (name, {}))[1][pilot_id] = stage
    order = sorted(pilots, key=lambda pid: (pilots[pid][0] is None, pilots[pid][0] or 0, pid))
    return StageMatrix(
        pilots=tuple((pid, pilots[pid][1]) for pid in order),
        cities=tuple(
            StageCity(slug, name, tuple(stages.get(pid) for pid in order))
            for slug, (name, stages) in sorted(cities.items(), key=lambda item: (item[1][0].casefold(), item[0]))
        ),
    )


def datasets_over_time(filters: Filters, on: date | None = None) -> DatasetSeries:
    """Datasets published per city and period, with the running total (a window function). Without a year filter
    the periods are years; with one, the months of that year, after a "before" row carrying the earlier total."""
    on = on or today()
    published_on = _published_on()
    year = _year_of(published_on)
    conditions = _dataset_conditions(filters, with_year=False)
    if filters.year:
        conditions.append(year <= filters.year)
        period = case((year < filters.year, 0), else_=sa.cast(sa.extract("month", published_on), sa.Integer))
    else:
        period = year
    grouped = (
        select(
            PublishedDataset.city_id.label("city_id"),
            period.label("period"),
            func.count(PublishedDataset.id).label("published"),
        )
        .where(*conditions)
        .group_by(PublishedDataset.city_id, period)
        .subquery("published_per_period")
    )
    cumulative = func.sum(grouped.c.published).over(partition_by=grouped.c.city_id, order_by=grouped.c.period)
    rows = db.session.execute(
        select(City.slug, City.name, grouped.c.period, grouped.c.published, cumulative)
        .join(City, City.id == grouped.c.city_id)
        .order_by(func.lower(City.name), City.slug, grouped.c.period)
    ).all()
    points = []
    for slug, name, number, published, total in rows:
        points.append(DatasetPoint(slug, name, _period(filters.year, number), int(published), int(total)))
    if filters.year:
        last_month = on.month if filters.year == on.year else 12
        periods = tuple(f"{filters.year}-{month:02d}" for month in range(1, last_month + 1))
    else:
        years = [int(p.period) for p in points]
        periods = tuple(str(y) for y in range(min(years), max(*years, on.year) + 1)) if years else ()
    return DatasetSeries(tuple(points), periods, bool(filters.year))


def _period(year: int | None, number: int) -> str:
    """A period's label: the year itself without a year filter; with one, the month, or "before" (number 0)."""
    if not year:
        return str(number)
    return "before" if number == 0 else f"{year}-{number:02d}"


def conformance_per_city(filters: Filters) -> tuple[ConformanceRow, ...]:
    """Per city (alphabetical): its published datasets, those checked, and those passing their last check."""
    last = _last_checks()
    rows = db.session.execute(
        select(
            City.slug,
            City.name,
            func.count(PublishedDataset.id),
            func.count(last.c.dataset_id),
            func.sum(case((last.c.passed.is_(True), 1), else_=0)),
        )
        .select_from(PublishedDataset)
        .join(City, City.id == PublishedDataset.city_id)
        .outerjoin(last, last.c.dataset_id == PublishedDataset.id)
        .where(*_dataset_conditions(filters))
        .group_by(City.id, City.slug, City.name)
        .order_by(func.lower(City.name), City.slug)
    ).all()
    return tuple(
        ConformanceRow(slug, name, published, checked, int(passing or 0)) for slug, name, published, checked, passing in rows
    )


#: The timeline shows at most this many milestones: those due nearest to today (the CSV has all of them).
TIMELINE_LIMIT = 150
#: Without a year filter the dashboard's timeline shows what is current: every milestone not done yet, and the
#: finished ones due in this many days before today. (A programme of 20 years has thousands of milestones; the
#: CSV and a year filter give all of them.)
CURRENT_DAYS = 365


def milestone_timeline(filters: Filters, on: date | None = None, *, current: bool = False) -> tuple[MilestoneRow, ...]:
    """Milestones of every pilot (cancelled pilots aside) by due date, with their progress and whether they are
    overdue; per-city milestones with the cities not done yet. Two statements.

    ``current``: without a year filter, leave out the milestones finished and due more than
    :data:`CURRENT_DAYS` days before ``on``."""
    on = on or today()
    shares = _milestone_shares()
    conditions = [Pilot.status != PilotStatus.CANCELLED]
    if filters.year:
        conditions.append(_year_of(Milestone.due_date) == filters.year)
    elif current:
        conditions.append(or_(shares.c.share < 1, Milestone.due_date >= on - timedelta(days=CURRENT_DAYS)))
    if filters.city:
        conditions.append(
            Pilot.participants.any(and_(Participation.city_id == _city_id(filters), Participation.accepted.is_(True)))
        )
    rows = db.session.execute(
        select(
            Milestone.id,
            Pilot.id,
            Pilot.title,
            Milestone.title,
            Milestone.start_date,
            Milestone.due_date,
            Milestone.per_city,
            Milestone.status,
            shares.c.share,
        )
        .join(Pilot, Pilot.id == Milestone.pilot_id)
        .join(shares, shares.c.id == Milestone.id)
        .where(*conditions)
        .order_by(Milestone.due_date, Pilot.id, Milestone.id)
    ).all()
    open_cities: dict[int, list[str]] = {}
    for milestone_id, name in db.session.execute(
        select(MilestoneCity.milestone_id, City.name)
        .join(City, City.id == MilestoneCity.city_id)
        .join(Milestone, Milestone.id == MilestoneCity.milestone_id)
        .join(Pilot, Pilot.id == Milestone.pilot_id)
        .join(shares, shares.c.id == Milestone.id)
        .where(MilestoneCity.status != MilestoneStatus.DONE, Milestone.per_city.is_(True), *conditions)
        .order_by(func.lower(City.name))
    ).all():
        open_cities.setdefault(milestone_id, []).append(name)
    return tuple(
        MilestoneRow(
            milestone_id,
            pilot_id,
            pilot,
            title,
            start,
            due,
            per_city,
            status,
            float(share or 0),
            due < on and float(share or 0) < 1,
            tuple(open_cities.get(milestone_id, ())),
        )
        for milestone_id, pilot_id, pilot, title, start, due, per_city, status, share in rows
    )


def can_see_background_work(user: User | None) -> bool:
    """The steering committee and the administrators see which background work failed."""
    return bool(user is not None and user.is_authenticated and (user.is_steering or user.is_admin))


def background_work(now: datetime | None = None) -> tuple[BackgroundProblem, ...]:
    """What failed or could not be queued in the last :data:`BACKGROUND_DAYS` days, per kind of work and outcome,
    the latest first. One statement (grouped by job name; the kinds of work are merged here)."""
    since = (now or utcnow()) - timedelta(days=BACKGROUND_DAYS)
    rows = db.session.execute(
        select(JobFailure.job, JobFailure.kind, func.count(JobFailure.id), func.max(JobFailure.failed_at))
        .where(JobFailure.failed_at >= since)
        .group_by(JobFailure.job, JobFailure.kind)
    ).all()
    merged: dict[tuple[str, FailureKind], tuple[int, datetime]] = {}
    for job, kind, times, last in rows:
        key = (JOB_WORK.get(job, "other"), kind)
        earlier_times, earlier_last = merged.get(key, (0, last))
        merged[key] = (earlier_times + times, max(earlier_last, last))
    problems = [BackgroundProblem(work, kind, times, last) for (work, kind), (times, last) in merged.items()]
    return tuple(sorted(problems, key=lambda problem: (problem.last, problem.work, problem.kind), reverse=True))


# --- the whole dashboard ----------------------------------------------------------------------------------------


def table(name: str, filters: Filters, on: date | None = None):
    """One panel's data (for its CSV download)."""
    if name == "challenges":
        return challenges_per_theme(filters)
    if name == "pilots":
        return pilot_progress(filters, on)
    if name == "stages":
        return stage_matrix(filters)
    if name == "datasets":
        return datasets_over_time(filters, on)
    if name == "conformance":
        return conformance_per_city(filters)
    if name == "milestones":
        return milestone_timeline(filters, on)
    raise KeyError(name)


def nearest(rows: Sequence[MilestoneRow], on: date, limit: int = TIMELINE_LIMIT) -> tuple[MilestoneRow, ...]:
    """At most ``limit`` milestones: those due nearest to ``on``, kept in due-date order."""
    if len(rows) <= limit:
        return tuple(rows)
    chosen = sorted(range(len(rows)), key=lambda i: (abs((rows[i].due_date - on).days), i))[:limit]
    return tuple(rows[i] for i in sorted(chosen))


def dashboard(filters: Filters, committee: bool, on: date | None = None, background: bool | None = None) -> Dashboard:
    """Everything the dashboard shows; the committee's panels only for the committee (``committee``). The
    background-work panel for ``background`` (:func:`can_see_background_work`; by default: the committee)."""
    on = on or today()
    background = committee if background is None else background
    milestones = milestone_timeline(filters, on, current=True) if committee else ()
    return Dashboard(
        filters=filters,
        headline=headline(filters, on),
        challenges=challenges_per_theme(filters),
        pilots=pilot_progress(filters, on),
        stages=stage_matrix(filters),
        datasets=datasets_over_time(filters, on),
        conformance=conformance_per_city(filters) if committee else None,
        milestones=nearest(milestones, on) if committee else None,
        committee=committee,
        panels=PANELS if committee else PUBLIC_PANELS,
        overdue=tuple(row for row in milestones if row.overdue),
        milestones_total=len(milestones),
        background=background_work() if background else (),
    )


def available_years(on: date | None = None) -> list[int]:
    """Years to filter on, newest first: those of challenges and rounds, and the current year. One statement."""
    years = set(db.session.scalars(union(select(Challenge.year).where(Challenge.status.in_(PROPOSED)), select(Round.year))))
    years.add((on or today()).year)
    return sorted(years, reverse=True)


def city_choices() -> Sequence[tuple[str, str]]:
    """(slug, name) of every city, alphabetical, for the city filter."""
    rows = db.session.execute(select(City.slug, City.name).order_by(func.lower(City.name), City.slug))
    return [(slug, name) for slug, name in rows]
