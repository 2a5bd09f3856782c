"""Progress reports: where the cities stand with open data, what they did, and how the voting rounds went, as it
was on a chosen date ("as of"), for the whole programme (every active city) or for one city.

A report answers three questions:

1. where each city stands with open data: its open-data charter and its latest maturity self-assessment;
2. the concrete actions per city: the pilots it joined (with its stage), the milestones done and due, and the
   datasets it published;
3. the status of each voting round, and for published rounds the selected challenges with their scores (from the
   round's frozen result) and the committee's confirmation.

Everything is evaluated on the date where the data keeps its history:

* a city's stage in a pilot is the last recorded stage change with ``changed_on`` on or before the date; a pilot it
  joined later (every stage change after the date) is left out;
* a milestone is done when it was completed on or before the date (per-city milestones: the city's own row);
  otherwise it is due when its due date lies before the date plus :data:`DUE_WINDOW` (overdue when before the date);
* a dataset counts when it was issued on or before the date (without an issue date: when it was registered);
* a round's phase is the last phase it entered on or before the date (from its phase timestamps); rounds created
  later are left out; the confirmation counts when it was confirmed on or before the date;
* the charter: a principle last saved on or before the date has its current status; one saved later has the status
  the audit log says it had before the first change after the date, or counts as unknown when the log has nothing;
* the maturity self-assessment is the latest of a year up to the date's year (and the one before it, to compare).

Dates are the programme's calendar dates (Europe/Brussels). The report is built with a fixed number of queries,
whatever the number of cities, pilots, milestones or rounds. It holds plain values (no database objects), so it
can be rendered after the session is gone.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import joinedload

from pilots.extensions import db
from pilots.models import (
    AuditEvent,
    Ballot,
    BallotEntry,
    BallotStatus,
    Challenge,
    ChallengeStatus,
    CharterLevel,
    CharterStatus,
    City,
    MaturityAssessment,
    MaturityScore,
    Milestone,
    MilestoneCity,
    ParticipantRole,
    Participation,
    Pilot,
    PublishedDataset,
    Round,
    RoundPhase,
    RoundSnapshot,
    Stage,
    StageChange,
)
from pilots.models.city_status import PRINCIPLES
from pilots.services.errors import ServiceError
from pilots.services.workspaces import PROGRAMME_TIMEZONE, today

#: A milestone not done on the date is "due" when its due date comes before the date plus this window.
DUE_WINDOW = timedelta(days=90)

#: The first date a report can describe (the programme started in 2017; earlier dates are refused as typos).
FIRST_DATE = date(2017, 1, 1)


# --- the date -------------------------------------------------------------------------------------------------


def report_date(text: str | None) -> date:
    """The date a report describes, from ``YYYY-MM-DD``; empty means today. Refuses other text and future dates."""
    text = (text or "").strip()
    if not text:
        return today()
    try:
        value = date.fromisoformat(text)
    except ValueError:
        raise ServiceError(_l("Enter a date as YYYY-MM-DD."), "date") from None
    if len(text) != 10:  # fromisoformat also takes 20260305 or 2026-W10-4
        raise ServiceError(_l("Enter a date as YYYY-MM-DD."), "date")
    if value > today():
        raise ServiceError(_l("The date cannot be in the future."), "date")
    if value < FIRST_DATE:
        raise ServiceError(_l("Choose a date from %(first)s on.", first=FIRST_DATE.isoformat()), "date")
    return value


def day_end(day: date) -> datetime:
    """The first instant after ``day`` in the programme's calendar, timezone-aware (timestamps before it count)."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=PROGRAMME_TIMEZONE)


def local_date(moment: datetime) -> date:
    """A timestamp's date in the programme's calendar."""
    return moment.astimezone(PROGRAMME_TIMEZONE).date()


# --- the report -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CityRef:
    id: int
    name: str
    slug: str


@dataclass(frozen=True)
class Charter:
    """Where a city stood on the charter's principles: the known status per principle (a principle that is absent
    was not filled in), and the principles saved after the date whose earlier status is not recorded."""

    levels: dict[int, CharterLevel] = field(default_factory=dict)
    unknown: frozenset[int] = frozenset()

    def count(self, level: CharterLevel) -> int:
        return sum(value is level for value in self.levels.values())

    @property
    def not_filled_in(self) -> int:
        return len(PRINCIPLES) - len(self.levels) - len(self.unknown)


@dataclass(frozen=True)
class Maturity:
    """The latest self-assessment up to the date's year, and the one before it (empty when there is none)."""

    year: int
    scores: dict[str, int]
    previous_year: int | None = None
    previous: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class PilotLine:
    pilot_id: int
    title: str
    role: ParticipantRole
    stage: Stage  # on the date
    since: date  # when the city reached that stage
    joined: date  # the date of the city's earliest stage change in the pilot


@dataclass(frozen=True)
class MilestoneLine:
    pilot_id: int
    pilot_title: str
    milestone_id: int
    title: str
    due: date
    done_on: date | None  # on or before the report's date; None: not done then
    per_city: bool
    overdue: bool = False


@dataclass(frozen=True)
class DatasetLine:
    dataset_id: int
    pilot_id: int
    pilot_title: str
    title_nl: str
    title_en: str
    issued: date  # or the date it was registered, when it has no issue date
    access_url: str
    file_type: str

    def title(self, locale: str) -> str:
        return self.title_en if locale == "en" and self.title_en else self.title_nl


@dataclass(frozen=True)
class CityReport:
    city: CityRef
    charter: Charter
    maturity: Maturity | None
    pilots: tuple[PilotLine, ...]
    done: tuple[MilestoneLine, ...]  # newest first
    due: tuple[MilestoneLine, ...]  # soonest (most overdue) first
    datasets: tuple[DatasetLine, ...]  # oldest first


@dataclass(frozen=True)
class Pick:
    """A challenge of a round's selection, with its place in the round's result (None when it was not ranked)."""

    challenge_id: int
    title: str
    city: str
    rank: int | None = None
    score: float | None = None
    voters: int | None = None


@dataclass(frozen=True)
class RoundLine:
    round_id: int
    title: str
    year: int
    phase: RoundPhase  # on the date
    phase_since: datetime
    method: str
    ballots_total: int  # once voting opened (one ballot per taking-part city)
    ballots_submitted: int  # submitted on or before the date
    computed: tuple[Pick, ...] = ()  # the computed selection, once the results are published
    confirmed_at: datetime | None = None  # on or before the date
    confirmed_by: str | None = None
    confirmed: tuple[Pick, ...] = ()
    justification: str | None = None  # when the committee overrode the computed selection
    city_ballot: bool = False  # city reports: the city had a ballot in this round on the date
    city_submitted_at: datetime | None = None  # ... and submitted it then

    @property
    def published(self) -> bool:
        return self.phase is RoundPhase.PUBLISHED

    @property
    def voting_opened(self) -> bool:
        return self.phase in (RoundPhase.VOTING_OPEN, RoundPhase.CLOSED, RoundPhase.PUBLISHED)


@dataclass(frozen=True)
class Report:
    as_of: date
    city: CityRef | None  # None: the whole programme
    cities: tuple[CityReport, ...]
    rounds: tuple[RoundLine, ...]  # newest first
    due_window_days: int = DUE_WINDOW.days

    @property
    def is_programme(self) -> bool:
        return self.city is None


# --- building it ----------------------------------------------------------------------------------------------


def build(as_of: date | None = None, city: City | None = None) -> Report:
    """The report on ``as_of`` (default: today) for one city, or for every active city when ``city`` is None."""
    as_of = as_of or today()
    end = day_end(as_of)
    if city is not None:
        refs = [CityRef(city.id, city.name, city.slug)]
    else:
        refs = [
            CityRef(*row)
            for row in db.session.execute(
                select(City.id, City.name, City.slug).where(City.active.is_(True)).order_by(func.lower(City.name), City.id)
            )
        ]
    ids = [ref.id for ref in refs]
    charters = _charters(ids, end)
    maturity = _maturity(ids, as_of.year)
    pilots, milestones_of = _pilots(ids, as_of)
    datasets = _datasets(ids, as_of, end)
    cities = []
    for ref in refs:
        city_pilots = pilots.get(ref.id, [])
        done, due = milestones_of(ref.id, city_pilots)
        cities.append(
            CityReport(
                city=ref,
                charter=charters.get(ref.id, Charter()),
                maturity=maturity.get(ref.id),
                pilots=tuple(city_pilots),
                done=tuple(done),
                due=tuple(due),
                datasets=tuple(datasets.get(ref.id, [])),
            )
        )
    rounds = _rounds(end, city.id if city is not None else None)
    return Report(as_of, refs[0] if city is not None else None, tuple(cities), tuple(rounds))


def _charters(ids: list[int], end: datetime) -> dict[int, Charter]:
    """Each city's charter on the date (two queries: the statuses, and the audit log of later changes)."""
    rows = db.session.execute(
        select(CharterStatus.city_id, CharterStatus.principle, CharterStatus.status, CharterStatus.updated_at).where(
            CharterStatus.city_id.in_(ids)
        )
    ).all()
    # For principles saved after the date: the status before the first change after it.
    before: dict[tuple[int, int], CharterLevel | None] = {}
    events = db.session.execute(
        select(AuditEvent.object_id, AuditEvent.details)
        .where(
            AuditEvent.action == "city.charter_updated",
            AuditEvent.object_type == "city",
            AuditEvent.object_id.in_([str(i) for i in ids]),
            AuditEvent.created_at >= end,
        )
        .order_by(AuditEvent.created_at, AuditEvent.id)
    ).all()
    for object_id, details in events:
        try:
            key = (int(object_id), int(details["principle"]))
            previous = details["status"]["from"]
        except (KeyError, TypeError, ValueError):
            continue
        if key not in before:
            before[key] = CharterLevel(previous) if previous in CharterLevel._value2member_map_ else None
    levels: dict[int, dict[int, CharterLevel]] = defaultdict(dict)
    unknown: dict[int, set[int]] = defaultdict(set)
    for city_id, principle, status, updated_at in rows:
        if updated_at < end:
            levels[city_id][principle] = status
        elif (city_id, principle) in before:
            earlier = before[(city_id, principle)]
            if earlier is not None:
                levels[city_id][principle] = earlier
        else:
            unknown[city_id].add(principle)
    return {city_id: Charter(dict(levels[city_id]), frozenset(unknown[city_id])) for city_id in ids}


def _maturity(ids: list[int], year: int) -> dict[int, Maturity]:
    """Each city's latest self-assessment up to ``year`` and the one before it (one query)."""
    rows = db.session.execute(
        select(MaturityAssessment.city_id, MaturityAssessment.year, MaturityScore.domain, MaturityScore.score)
        .join(MaturityScore, MaturityScore.assessment_id == MaturityAssessment.id)
        .where(MaturityAssessment.city_id.in_(ids), MaturityAssessment.year <= year)
    ).all()
    by_city: dict[int, dict[int, dict[str, int]]] = defaultdict(lambda: defaultdict(dict))
    for city_id, assessed, domain, score in rows:
        by_city[city_id][assessed][domain] = score
    result = {}
    for city_id, years in by_city.items():
        ordered = sorted(years, reverse=True)
        latest = ordered[0]
        previous = ordered[1] if len(ordered) > 1 else None
        result[city_id] = Maturity(latest, dict(years[latest]), previous, dict(years[previous]) if previous else {})
    return result


def _pilots(ids: list[int], as_of: date):
    """The pilots each city had joined on the date, with its stage then; and a function that gives a city's
    milestones done and due (four queries in all)."""
    participations = db.session.execute(
        select(Participation.id, Participation.city_id, Participation.pilot_id, Participation.role, Pilot.title)
        .join(Pilot, Pilot.id == Participation.pilot_id)
        .where(Participation.city_id.in_(ids), Participation.accepted.is_(True))
    ).all()
    changes: dict[int, list[tuple[Stage, date]]] = defaultdict(list)
    for participation_id, stage, changed_on in db.session.execute(
        select(StageChange.participation_id, StageChange.stage, StageChange.changed_on)
        .join(Participation, Participation.id == StageChange.participation_id)
        .where(Participation.city_id.in_(ids), Participation.accepted.is_(True), StageChange.changed_on <= as_of)
        .order_by(StageChange.changed_at, StageChange.id)  # the order they were recorded in, like the profile
    ):
        changes[participation_id].append((stage, changed_on))
    pilots: dict[int, list[PilotLine]] = defaultdict(list)
    for participation_id, city_id, pilot_id, role, title in participations:
        history = changes.get(participation_id)
        if not history:
            continue  # joined after the date
        stage, since = history[-1]
        pilots[city_id].append(PilotLine(pilot_id, title, role, stage, since, min(on for _stage, on in history)))
    for lines in pilots.values():
        lines.sort(key=lambda line: (line.joined, line.title.lower(), line.pilot_id))

    milestones = db.session.execute(
        select(Milestone.id, Milestone.pilot_id, Milestone.title, Milestone.due_date, Milestone.per_city, Milestone.completed_on)
        .where(
            Milestone.pilot_id.in_(
                select(Participation.pilot_id).where(Participation.city_id.in_(ids), Participation.accepted.is_(True))
            )
        )
        .order_by(Milestone.due_date, Milestone.id)
    ).all()
    by_pilot: dict[int, list] = defaultdict(list)
    for row in milestones:
        by_pilot[row.pilot_id].append(row)
    own: dict[tuple[int, int], date | None] = {
        (milestone_id, city_id): completed_on
        for milestone_id, city_id, completed_on in db.session.execute(
            select(MilestoneCity.milestone_id, MilestoneCity.city_id, MilestoneCity.completed_on).where(
                MilestoneCity.city_id.in_(ids)
            )
        )
    }
    horizon = as_of + DUE_WINDOW

    def milestones_of(city_id: int, lines: list[PilotLine]) -> tuple[list[MilestoneLine], list[MilestoneLine]]:
        done, due = [], []
        for line in lines:
            if line.role is ParticipantRole.OBSERVER:
                continue  # observers only watch
            for row in by_pilot.get(line.pilot_id, []):
                if row.per_city:
                    if (row.id, city_id) not in own:
                        continue  # the milestone does not concern this city
                    completed_on = own[(row.id, city_id)]
                else:
                    completed_on = row.completed_on
                item = MilestoneLine(line.pilot_id, line.title, row.id, row.title, row.due_date, None, row.per_city)
                if completed_on is not None and completed_on <= as_of:
                    done.append(replace(item, done_on=completed_on))
                elif line.stage is not Stage.WITHDRAWN and row.due_date <= horizon:
                    due.append(replace(item, overdue=row.due_date < as_of))
        done.sort(key=lambda m: (m.done_on, m.milestone_id), reverse=True)
        due.sort(key=lambda m: (m.due, m.milestone_id))
        return done, due

    return pilots, milestones_of


def _datasets(ids: list[int], as_of: date, end: datetime) -> dict[int, list[DatasetLine]]:
    rows = db.session.execute(
        select(
            PublishedDataset.id,
            PublishedDataset.city_id,
            PublishedDataset.pilot_id,
            Pilot.title,
            PublishedDataset.title_nl,
            PublishedDataset.title_en,
            PublishedDataset.issued,
            PublishedDataset.created_at,
            PublishedDataset.access_url,
            PublishedDataset.file_type,
        )
        .join(Pilot, Pilot.id == PublishedDataset.pilot_id)
        .where(
            PublishedDataset.city_id.in_(ids),
            or_(
                PublishedDataset.issued <= as_of,
                and_(PublishedDataset.issued.is_(None), PublishedDataset.created_at < end),
            ),
        )
    ).all()
    result: dict[int, list[DatasetLine]] = defaultdict(list)
    for row in rows:
        issued = row.issued or local_date(row.created_at)
        result[row.city_id].append(
            DatasetLine(row.id, row.pilot_id, row.title, row.title_nl, row.title_en or "", issued, row.access_url, row.file_type)
        )
    for lines in result.values():
        lines.sort(key=lambda d: (d.issued, d.dataset_id))
    return result


def _phase_on(round_: Round, end: datetime) -> tuple[RoundPhase, datetime]:
    for phase, moment in (
        (RoundPhase.PUBLISHED, round_.published_at),
        (RoundPhase.CLOSED, round_.closed_at),
        (RoundPhase.VOTING_OPEN, round_.voting_opened_at),
        (RoundPhase.PROPOSALS_OPEN, round_.proposals_opened_at),
    ):
        if moment is not None and moment < end:
            return phase, moment
    return RoundPhase.DRAFT, round_.created_at


def _rounds(end: datetime, city_id: int | None) -> list[RoundLine]:
    """Every round created by the date, in its phase then (four queries; five for a city's report)."""
    rounds = list(
        db.session.scalars(
            select(Round)
            .where(Round.created_at < end)
            .options(joinedload(Round.confirmed_by))
            .order_by(Round.year.desc(), Round.id.desc())
        ).unique()
    )
    in_report = select(Round.id).where(Round.created_at < end)
    results = {
        round_id: result
        for round_id, result in db.session.execute(
            select(RoundSnapshot.round_id, RoundSnapshot.result)
            .join(Round, Round.id == RoundSnapshot.round_id)
            .where(Round.created_at < end, Round.published_at < end)
        )
    }
    entries: dict[int, dict[int, tuple[str, str, ChallengeStatus]]] = defaultdict(dict)
    for round_id, challenge_id, title, status, city_name in db.session.execute(
        select(BallotEntry.round_id, Challenge.id, Challenge.title, Challenge.status, City.name)
        .join(Challenge, Challenge.id == BallotEntry.challenge_id)
        .join(City, City.id == Challenge.city_id)
        .where(BallotEntry.round_id.in_(in_report))
        .order_by(BallotEntry.position, BallotEntry.id)
    ):
        entries[round_id][challenge_id] = (title, city_name, status)
    submitted_by_then = and_(Ballot.status == BallotStatus.SUBMITTED, Ballot.submitted_at < end)
    counts = {
        round_id: (total, submitted or 0)
        for round_id, total, submitted in db.session.execute(
            select(Ballot.round_id, func.count(Ballot.id), func.sum(case((submitted_by_then, 1), else_=0)))
            .where(Ballot.round_id.in_(in_report))
            .group_by(Ballot.round_id)
        )
    }
    own: dict[int, datetime | None] = {}
    if city_id is not None:
        for round_id, status, submitted_at in db.session.execute(
            select(Ballot.round_id, Ballot.status, Ballot.submitted_at).where(
                Ballot.city_id == city_id, Ballot.round_id.in_(in_report)
            )
        ):
            on_time = status is BallotStatus.SUBMITTED and submitted_at is not None and submitted_at < end
            own[round_id] = submitted_at if on_time else None

    lines = []
    for round_ in rounds:
        phase, since = _phase_on(round_, end)
        voting = phase in (RoundPhase.VOTING_OPEN, RoundPhase.CLOSED, RoundPhase.PUBLISHED)
        total, submitted = counts.get(round_.id, (0, 0)) if voting else (0, 0)
        on_ballot = entries.get(round_.id, {})
        computed: tuple[Pick, ...] = ()
        confirmed: tuple[Pick, ...] = ()
        confirmed_at = confirmed_by = justification = None
        if phase is RoundPhase.PUBLISHED and round_.id in results:
            result = json.loads(results[round_.id])
            ranked = {str(row["alternative"]): row for row in result.get("ranking", [])}

            def pick(challenge_id: int, ranked=ranked, on_ballot=on_ballot) -> Pick:
                title, city_name, _status = on_ballot.get(challenge_id, (f"#{challenge_id}", "", None))
                row = ranked.get(str(challenge_id), {})
                return Pick(challenge_id, title, city_name, row.get("rank"), row.get("score"), row.get("voters"))

            computed = tuple(pick(int(a)) for a in result.get("selected", []) if str(a).isdigit())
            if round_.confirmed_at is not None and round_.confirmed_at < end:
                confirmed_at = round_.confirmed_at
                confirmed_by = round_.confirmed_by.name if round_.confirmed_by else None
                justification = round_.override_justification
                chosen = [cid for cid, (_t, _c, status) in on_ballot.items() if status is ChallengeStatus.SELECTED]
                picks = [pick(cid) for cid in chosen]
                confirmed = tuple(sorted(picks, key=lambda p: (p.rank is None, p.rank or 0, p.title.lower())))
        lines.append(
            RoundLine(
                round_id=round_.id,
                title=round_.title,
                year=round_.year,
                phase=phase,
                phase_since=since,
                method=round_.method,
                ballots_total=total,
                ballots_submitted=submitted,
                computed=computed,
                confirmed_at=confirmed_at,
                confirmed_by=confirmed_by,
                confirmed=confirmed,
                justification=justification,
                city_ballot=voting and round_.id in own,
                city_submitted_at=own.get(round_.id) if voting else None,
            )
        )
    return lines


def city_choices() -> list[tuple[CityRef, bool]]:
    """Every city for the report form, in alphabetical order, with whether it takes part now (one query)."""
    return [
        (CityRef(city_id, name, slug), active)
        for city_id, name, slug, active in db.session.execute(
            select(City.id, City.name, City.slug, City.active).order_by(func.lower(City.name), City.id)
        )
    ]
