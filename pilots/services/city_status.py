"""Use cases for a city's open-data status, and the reading side of the city profile.

A city's staff (and administrators) set where the city stands on each of the 20 principles of the open-data charter
(adopted, partly, not yet, with a note), and save a maturity self-assessment per year: a whole score from 1 to 5 on
each of the six domains of the quick scan, with a note. Every signed-in user reads them. The self-assessment is for
the city's own progress over the years: nothing here compares or ranks cities on it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from pilots.extensions import db
from pilots.models import (
    Ballot,
    Challenge,
    CharterLevel,
    CharterStatus,
    City,
    DatasetCheck,
    MaturityAssessment,
    MaturityScore,
    Participation,
    Pilot,
    PublishedDataset,
    Round,
    User,
    utcnow,
)
from pilots.models.challenge import PUBLIC_STATUSES
from pilots.models.city_status import FIRST_ASSESSMENT_YEAR, MATURITY_DOMAINS, PRINCIPLES, SCORES
from pilots.services import accounts, audit, workspaces
from pilots.services.errors import Forbidden, NotFound, ServiceError
from pilots.services.transaction import check_version, unit_of_work

MAX_NOTE = 1000
STALE = _l("Somebody else saved this in the meantime. Reload the page and try again.")


def assessment_years() -> range:
    """Years a self-assessment may be saved for: from the programme's first year to the current year."""
    return range(FIRST_ASSESSMENT_YEAR, utcnow().year + 1)


def can_edit(user: User | None, city_id: int | None) -> bool:
    """A city's own staff edit its open-data status; administrators may too."""
    return bool(user and user.is_authenticated and city_id is not None and (user.is_admin or user.is_staff_of(city_id)))


def _require_editor(actor: User, city_id: int) -> None:
    if not can_edit(actor, city_id):
        raise Forbidden(_l("You can only act for your own city."))


# --- reading ---------------------------------------------------------------------------------------------------


def get_city_by_slug(slug: str) -> City:
    city = db.session.scalar(select(City).where(City.slug == slug))
    if city is None:
        raise NotFound(_l("This city does not exist."))
    return city


def city_id_of(slug: str | None) -> int | None:
    """The city's id (for the access policy), or None."""
    if not slug:
        return None
    return db.session.scalar(select(City.id).where(City.slug == slug))


def _visible_challenges(user: User | None):
    """Everyone sees public challenges; a city's staff also see their own drafts."""
    condition = Challenge.status.in_(PUBLIC_STATUSES)
    city_ids = accounts.city_ids(user)
    if city_ids:
        condition = or_(condition, Challenge.city_id.in_(city_ids))
    return condition


@dataclass(frozen=True)
class CityRow:
    city: City
    challenges: int
    pilots: int
    datasets: int


def list_query(user: User | None) -> Select:
    """Every city in alphabetical order, with what it does in the programme (challenges the user may see, pilots it
    takes part in, datasets it publishes). Deliberately nothing about maturity: cities are not ranked on it."""
    challenges = select(func.count(Challenge.id)).where(Challenge.city_id == City.id, _visible_challenges(user)).scalar_subquery()
    pilots = (
        select(func.count(Participation.id))
        .where(Participation.city_id == City.id, Participation.accepted.is_(True))
        .scalar_subquery()
    )
    datasets = select(func.count(PublishedDataset.id)).where(PublishedDataset.city_id == City.id).scalar_subquery()
    return select(City, challenges, pilots, datasets).order_by(func.lower(City.name), City.id)


def list_cities(user: User | None) -> list[CityRow]:
    return [CityRow(*row) for row in db.session.execute(list_query(user)).all()]


def charter_of(city_id: int) -> dict[int, CharterStatus]:
    """The city's status per principle number; a principle without a row is not filled in yet."""
    rows = db.session.scalars(
        select(CharterStatus).where(CharterStatus.city_id == city_id).options(joinedload(CharterStatus.updated_by))
    )
    return {row.principle: row for row in rows}


def assessments_of(city_id: int) -> list[MaturityAssessment]:
    """The city's self-assessments, oldest first, with their scores."""
    return list(
        db.session.scalars(
            select(MaturityAssessment)
            .where(MaturityAssessment.city_id == city_id)
            .options(selectinload(MaturityAssessment.scores), joinedload(MaturityAssessment.updated_by))
            .order_by(MaturityAssessment.year)
        )
    )


def get_assessment(city_id: int, year: int) -> MaturityAssessment | None:
    return db.session.scalar(
        select(MaturityAssessment)
        .where(MaturityAssessment.city_id == city_id, MaturityAssessment.year == year)
        .options(selectinload(MaturityAssessment.scores))
    )


def previous_assessment(city_id: int, year: int) -> MaturityAssessment | None:
    """The city's latest self-assessment before ``year``."""
    return db.session.scalar(
        select(MaturityAssessment)
        .where(MaturityAssessment.city_id == city_id, MaturityAssessment.year < year)
        .options(selectinload(MaturityAssessment.scores))
        .order_by(MaturityAssessment.year.desc())
        .limit(1)
    )


@dataclass(frozen=True)
class Profile:
    city: City
    challenges: list[Challenge]
    ballots: list[Ballot]  # with their round
    participations: list[Participation]  # with their pilot and stage history
    datasets: list[tuple[PublishedDataset, DatasetCheck | None]]  # with the latest check
    charter: dict[int, CharterStatus]
    assessments: list[MaturityAssessment]  # oldest first
    charter_counts: dict[str, int] = field(default_factory=dict)


def profile(city: City, user: User | None) -> Profile:
    """Everything the city profile shows, in a fixed number of queries whatever the city's size."""
    challenges = list(
        db.session.scalars(
            select(Challenge)
            .where(Challenge.city_id == city.id, _visible_challenges(user))
            .order_by(Challenge.year.desc(), Challenge.created_at.desc(), Challenge.id.desc())
        )
    )
    ballots = list(
        db.session.scalars(
            select(Ballot)
            .join(Ballot.round)
            .where(Ballot.city_id == city.id)
            .options(contains_eager(Ballot.round))
            .order_by(Round.year.desc(), Round.id.desc())
        )
    )
    participations = list(
        db.session.scalars(
            select(Participation)
            .join(Participation.pilot)
            .where(Participation.city_id == city.id)
            .options(contains_eager(Participation.pilot), selectinload(Participation.stage_changes))
            .order_by(Pilot.start_date.desc().nulls_last(), Pilot.id.desc())
        )
    )
    latest_check = workspaces.latest_check_id()
    datasets = [
        (dataset, check)
        for dataset, check in db.session.execute(
            select(PublishedDataset, DatasetCheck)
            .outerjoin(DatasetCheck, DatasetCheck.id == latest_check)
            .where(PublishedDataset.city_id == city.id)
            .options(joinedload(PublishedDataset.pilot))
            .order_by(PublishedDataset.id)
        ).all()
    ]
    charter = charter_of(city.id)
    counts = {level.value: 0 for level in CharterLevel}
    for row in charter.values():
        counts[row.status.value] += 1
    counts["open"] = len(PRINCIPLES) - len(charter)
    return Profile(city, challenges, ballots, participations, datasets, charter, assessments_of(city.id), counts)


# --- the charter -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CharterInput:
    principle: int
    status: CharterLevel | str
    note: str = ""


def set_charter_status(actor: User, city_id: int, data: CharterInput, expected_version: int | None) -> CharterStatus:
    """Set where the city stands on one principle. ``expected_version`` is the version the form was opened at
    (0: the principle had not been filled in)."""
    _require_editor(actor, city_id)
    if db.session.get(City, city_id) is None:
        raise NotFound(_l("This city does not exist."))
    principle = data.principle
    if isinstance(principle, bool) or not isinstance(principle, int) or principle not in PRINCIPLES:
        raise ServiceError(_l("Choose a principle from 1 to 20."), "principle")
    if data.status not in CharterLevel._value2member_map_:
        raise ServiceError(_l("Choose adopted, partly or not yet."), "status")
    status = CharterLevel(data.status)
    note = (data.note or "").strip()
    if len(note) > MAX_NOTE:
        raise ServiceError(_l("Use at most %(n)d characters.", n=MAX_NOTE), "note")
    row = db.session.scalar(select(CharterStatus).where(CharterStatus.city_id == city_id, CharterStatus.principle == principle))
    check_version(row.version if row else 0, expected_version)
    with unit_of_work(STALE):
        if row is None:
            row = CharterStatus(city_id=city_id, principle=principle, status=status, note=note, updated_by_id=actor.id)
            db.session.add(row)
            audit.record(
                actor, "city.charter_updated", "city", city_id, principle=principle, status={"from": None, "to": status.value}
            )
        elif row.status is not status or row.note != note:
            audit.record(
                actor,
                "city.charter_updated",
                "city",
                city_id,
                principle=principle,
                status={"from": row.status.value, "to": status.value},
                note_changed=row.note != note,
            )
            row.status, row.note, row.updated_by_id = status, note, actor.id
    return row


# --- the maturity self-assessment ------------------------------------------------------------------------------


@dataclass(frozen=True)
class MaturityInput:
    """A score (1..5) and an optional note for each of the six domains (keys: ``MATURITY_DOMAINS``)."""

    scores: Mapping[str, int]
    notes: Mapping[str, str] = field(default_factory=dict)


def _clean_maturity(year: int, data: MaturityInput) -> tuple[dict[str, int], dict[str, str]]:
    years = assessment_years()
    if isinstance(year, bool) or not isinstance(year, int) or year not in years:
        raise ServiceError(_l("Choose a year from %(first)d to %(last)d.", first=years[0], last=years[-1]), "year")
    scores, notes = {}, {}
    for domain in MATURITY_DOMAINS:
        score = data.scores.get(domain)
        if isinstance(score, bool) or not isinstance(score, int) or score not in SCORES:
            raise ServiceError(_l("Give a whole score from 1 to 5."), f"score_{domain}")
        note = (data.notes.get(domain) or "").strip()
        if len(note) > MAX_NOTE:
            raise ServiceError(_l("Use at most %(n)d characters.", n=MAX_NOTE), f"note_{domain}")
        scores[domain], notes[domain] = score, note
    return scores, notes


def save_maturity(actor: User, city_id: int, year: int, data: MaturityInput, expected_version: int | None) -> MaturityAssessment:
    """Save the city's self-assessment of ``year``, all six domains at once. ``expected_version`` is the version the
    form was opened at (0: the year had no self-assessment yet)."""
    _require_editor(actor, city_id)
    if db.session.get(City, city_id) is None:
        raise NotFound(_l("This city does not exist."))
    scores, notes = _clean_maturity(year, data)
    assessment = get_assessment(city_id, year)
    check_version(assessment.version if assessment else 0, expected_version)
    with unit_of_work(STALE):
        if assessment is None:
            assessment = MaturityAssessment(city_id=city_id, year=year, updated_by_id=actor.id)
            for domain in MATURITY_DOMAINS:
                assessment.scores.append(MaturityScore(domain=domain, score=scores[domain], note=notes[domain]))
            db.session.add(assessment)
            audit.record(actor, "city.maturity_saved", "city", city_id, year=year, scores=scores)
        else:
            changes: dict[str, dict] = {}
            for domain in MATURITY_DOMAINS:
                row = assessment.score_of(domain)
                if row is None:
                    assessment.scores.append(MaturityScore(domain=domain, score=scores[domain], note=notes[domain]))
                    changes[domain] = {"from": None, "to": scores[domain]}
                elif row.score != scores[domain] or row.note != notes[domain]:
                    changes[domain] = {"from": row.score, "to": scores[domain], "note_changed": row.note != notes[domain]}
                    row.score, row.note = scores[domain], notes[domain]
            if changes:
                assessment.version += 1
                assessment.updated_by_id = actor.id
                assessment.updated_at = utcnow()
                audit.record(actor, "city.maturity_saved", "city", city_id, year=year, changes=changes)
    return assessment
