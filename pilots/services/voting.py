"""Use cases for voting rounds: set up a round and its criteria, move its phases, fill in and submit
ballots, freeze the snapshot, compute and publish the result, and confirm the selection."""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import selectinload

from pilots import ranking
from pilots.extensions import db
from pilots.models import (
    PHASE_ORDER,
    Ballot,
    BallotEntry,
    BallotNote,
    BallotStatus,
    Challenge,
    ChallengeStatus,
    City,
    Criterion,
    Direction,
    EffortUnit,
    Notification,
    Pilot,
    Round,
    RoundPhase,
    RoundSnapshot,
    Score,
    TieBreak,
    User,
    WeightSource,
    utcnow,
)
from pilots.ranking.ahp import inconsistent_judgements
from pilots.services import audit, delphi, notifications, workspaces
from pilots.services.errors import Forbidden, NotFound, ServiceError
from pilots.services.notifications import Kind
from pilots.services.transaction import check_version, unit_of_work

METHODS = ranking.METHODS
NORMALIZATIONS = ranking.NORMALIZATIONS

#: Suggested criteria for a new round: (key, Dutch name, English name, Dutch description, English description, direction)
DEFAULT_CRITERIA = (
    (
        "impact",
        "Impact voor burgers",
        "Impact for citizens",
        "Hoeveel burgers merken het verschil, en hoe sterk?",
        "How many citizens notice the difference, and how much?",
        Direction.BENEFIT,
    ),
    (
        "feasibility",
        "Haalbaarheid",
        "Feasibility",
        "Kunnen de steden dit binnen een jaar realiseren?",
        "Can the cities achieve this within a year?",
        Direction.BENEFIT,
    ),
    (
        "data",
        "Beschikbaarheid van data",
        "Data availability",
        "Bestaat de data al, en in welke vorm?",
        "Does the data exist already, and in what form?",
        Direction.BENEFIT,
    ),
    (
        "relevance",
        "Relevant voor meerdere steden",
        "Relevance for several cities",
        "Hebben veel steden dit probleem?",
        "Do many cities have this problem?",
        Direction.BENEFIT,
    ),
    (
        "cost",
        "Kost",
        "Cost",
        "Hoeveel geld en tijd vraagt het? Een hoge score betekent duur.",
        "How much money and time does it take? A high score means expensive.",
        Direction.COST,
    ),
)

#: What the ends of an anchored scale mean, in both languages.
ANCHOR_FIELDS = ("anchor_low_nl", "anchor_low_en", "anchor_high_nl", "anchor_high_en")


#: What the ends of the suggested criteria's 1–5 scales mean: key -> (low nl, low en, high nl, high en).
DEFAULT_ANCHORS = {
    "impact": (
        "Bijna niemand merkt iets",
        "Hardly anyone notices",
        "Elke inwoner merkt het elke week",
        "Every resident notices it every week",
    ),
    "feasibility": (
        "Niet haalbaar binnen een jaar",
        "Not achievable within a year",
        "Zeker klaar binnen het jaar",
        "Certainly done within the year",
    ),
    "data": (
        "De data bestaat nog niet",
        "The data does not exist yet",
        "Open data in een standaardformaat",
        "Open data in a standard format",
    ),
    "relevance": ("Alleen onze stad", "Only our city", "Alle centrumsteden", "Every centre city"),
    "cost": ("Minder dan een persoonmaand", "Less than a person-month", "Meer dan een persoonjaar", "More than a person-year"),
}


def phase_index(phase: RoundPhase) -> int:
    return PHASE_ORDER.index(phase)


# --- reading ---------------------------------------------------------------------------------------------------


def list_rounds() -> list[Round]:
    return list(db.session.scalars(select(Round).order_by(Round.year.desc(), Round.id.desc())))


def get_round(round_id: int) -> Round:
    round_ = db.session.get(Round, round_id)
    if round_ is None:
        raise NotFound(_l("This round does not exist."))
    return round_


def participants(round_: Round) -> int:
    """Cities taking part: every city with a ballot (one per active city when voting opened)."""
    return len(round_.ballots)


def active_city_count() -> int:
    return db.session.scalar(select(func.count(City.id)).where(City.active.is_(True))) or 0


def effective_quorum(round_: Round, taking_part: int | None = None) -> int:
    if round_.quorum:
        return round_.quorum
    taking_part = participants(round_) if taking_part is None else taking_part
    return max(1, math.ceil(taking_part / 2))


def submitted_cities(round_id: int) -> dict[int, Ballot]:
    """Each city's ballot in the round (status only is shown to the committee before closing)."""
    return {b.city_id: b for b in db.session.scalars(select(Ballot).where(Ballot.round_id == round_id))}


def lock_round(round_id: int, *, share: bool = False) -> Round:
    """The round, re-read with its row locked until the transaction ends. A phase change locks it for update,
    a ballot change for share: a ballot cannot change while the round closes on the ballots it has read, and
    a change that waited sees the phase the other one committed."""
    if db.session.get_bind().dialect.name == "sqlite":
        # SQLite has no row locks and ignores FOR UPDATE / FOR SHARE; its reads run outside a transaction until the
        # first write. A write that changes nothing takes the database's write lock now, before the phase is read,
        # and keeps it until the transaction ends: phase changes and ballot changes take turns (a waiting one is
        # held by the busy timeout, then reads what the other committed).
        db.session.execute(update(Round.__table__).where(Round.__table__.c.id == round_id).values(id=Round.__table__.c.id))
    else:
        db.session.execute(select(Round.id).where(Round.id == round_id).with_for_update(read=share))
    round_ = get_round(round_id)
    db.session.expire(round_)  # read again now that we hold the lock
    return round_


def round_of_locked_challenge(challenge: Challenge) -> Round | None:
    """The round whose frozen ballot holds this challenge, once voting has opened."""
    return db.session.scalar(
        select(Round)
        .join(BallotEntry, BallotEntry.round_id == Round.id)
        .where(BallotEntry.challenge_id == challenge.id, Round.phase.in_(PHASE_ORDER[2:]))
    )


# --- setting up a round ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RoundData:
    title: str
    year: int
    pilots_to_select: int = 2
    proposals_deadline: date | None = None
    voting_deadline: date | None = None
    allow_self_scoring: bool = False
    quorum: int | None = None
    ballots_confidential: bool = False
    method: str = "wsm"
    normalization: str = "scale"
    sensitivity_samples: int = 10_000
    perturbation: float = 0.2
    seed: int = 1
    weight_source: WeightSource = WeightSource.COMMITTEE
    tie_break: TieBreak = TieBreak.DEFAULT
    effort_unit: EffortUnit = EffortUnit.PERSON_MONTHS
    capacity: float | None = None
    delphi: bool = False
    revision_deadline: date | None = None


def _require_steering(actor: User | None) -> None:
    if actor is not None and not actor.is_steering:
        raise Forbidden(_l("Only the steering committee manages voting rounds."))


def _clean_round(data: RoundData) -> RoundData:
    title = data.title.strip()
    if not title:
        raise ServiceError(_l("Give the round a title."), "title")
    if len(title) > 160:
        raise ServiceError(_l("Use at most %(n)d characters.", n=160), "title")
    if not 2017 <= data.year <= utcnow().year + 2:
        raise ServiceError(_l("Choose a year from %(first)d to %(last)d.", first=2017, last=utcnow().year + 2), "year")
    if not 1 <= data.pilots_to_select <= 5:
        raise ServiceError(_l("Select from 1 to 5 pilots."), "pilots_to_select")
    if data.proposals_deadline and data.voting_deadline and data.voting_deadline < data.proposals_deadline:
        raise ServiceError(_l("Voting closes after the proposals deadline."), "voting_deadline")
    if data.revision_deadline and data.voting_deadline and data.revision_deadline < data.voting_deadline:
        raise ServiceError(_l("The revision deadline cannot be before the voting deadline."), "revision_deadline")
    if data.quorum is not None and not 1 <= data.quorum <= 1000:
        raise ServiceError(_l("The quorum is a number of cities, at least 1."), "quorum")
    if data.method not in METHODS:
        raise ServiceError(_l("Choose a method from the list."), "method")
    if data.normalization not in NORMALIZATIONS:
        raise ServiceError(_l("Choose a normalisation from the list."), "normalization")
    if not 0 <= data.sensitivity_samples <= 100_000:
        raise ServiceError(_l("Use from 0 to 100,000 samples."), "sensitivity_samples")
    if not 0 < data.perturbation < 1:
        raise ServiceError(_l("Use a perturbation above 0 and below 1 (100%)."), "perturbation")
    if not 0 <= data.seed <= 2**31 - 1:
        raise ServiceError(_l("Use a whole number from 0 to 2147483647."), "seed")
    if data.weight_source not in set(WeightSource):
        raise ServiceError(_l("Choose whose weights the round ranks with from the list."), "weight_source")
    if data.tie_break not in set(TieBreak):
        raise ServiceError(_l("Choose a tie-break rule from the list."), "tie_break")
    if data.effort_unit not in set(EffortUnit):
        raise ServiceError(_l("Choose a unit of effort from the list."), "effort_unit")
    if data.capacity is not None and not (math.isfinite(data.capacity) and 0 <= data.capacity <= 1_000_000):
        raise ServiceError(_l("The capacity is a number from 0 to 1,000,000, or empty for no limit."), "capacity")
    return RoundData(
        **{
            **asdict(data),
            "title": title,
            "weight_source": WeightSource(data.weight_source),
            "tie_break": TieBreak(data.tie_break),
            "effort_unit": EffortUnit(data.effort_unit),
        }
    )


def create_round(actor: User | None, data: RoundData, default_criteria: bool = True) -> Round:
    _require_steering(actor)
    data = _clean_round(data)
    with unit_of_work():
        round_ = Round(**asdict(data))
        db.session.add(round_)
        if default_criteria:
            for position, (key, name_nl, name_en, description_nl, description_en, direction) in enumerate(DEFAULT_CRITERIA):
                round_.criteria.append(
                    Criterion(
                        key=key,
                        name_nl=name_nl,
                        name_en=name_en,
                        description_nl=description_nl,
                        description_en=description_en,
                        direction=direction,
                        weight=1.0,
                        position=position,
                        **dict(zip(ANCHOR_FIELDS, DEFAULT_ANCHORS[key], strict=True)),
                    )
                )
        db.session.flush()
        audit.record(actor, "round.created", "round", round_.id, title=data.title, year=data.year)
    return round_


#: Settings frozen when voting opens (the ballots are filled in on them) and when the round closes (the result).
#: The tie-break rule and whose weights count are public before voting, so that nobody fixes them knowing the scores.
FROZEN_AT_VOTING = {
    "year",
    "pilots_to_select",
    "allow_self_scoring",
    "weight_source",
    "tie_break",
    "effort_unit",
    "delphi",
    "revision_deadline",
}
FROZEN_AT_CLOSE = {
    "quorum",
    "method",
    "normalization",
    "sensitivity_samples",
    "perturbation",
    "seed",
    "ballots_confidential",
    "capacity",
}


def update_round(actor: User, round_id: int, data: RoundData, expected_version: int | None) -> Round:
    _require_steering(actor)
    round_ = get_round(round_id)
    check_version(round_.version, expected_version)
    data = _clean_round(data)
    changes = {}
    for name, new in asdict(data).items():
        old = getattr(round_, name)
        if old == new:
            continue
        if (name in FROZEN_AT_VOTING and round_.at_least(RoundPhase.VOTING_OPEN)) or (
            name in FROZEN_AT_CLOSE and round_.at_least(RoundPhase.CLOSED)
        ):
            raise ServiceError(_l("This setting can no longer be changed in this phase."), name)
        changes[name] = {
            "from": old.isoformat() if isinstance(old, date) else old,
            "to": new.isoformat() if isinstance(new, date) else new,
        }
        setattr(round_, name, new)
    with unit_of_work():
        if changes:
            round_.version += 1
            audit.record(actor, "round.updated", "round", round_.id, changes=changes)
    return round_


@dataclass(frozen=True)
class CriterionData:
    key: str
    name_nl: str
    name_en: str
    description_nl: str = ""
    description_en: str = ""
    weight: float = 1.0
    direction: Direction = Direction.BENEFIT
    scale_min: float = 1.0
    scale_max: float = 5.0
    integer_scale: bool = True
    anchor_low_nl: str = ""
    anchor_low_en: str = ""
    anchor_high_nl: str = ""
    anchor_high_en: str = ""


def criteria_editable(round_: Round) -> bool:
    """Criteria and weights change until voting opens; then they are frozen with the ballots."""
    return not round_.at_least(RoundPhase.VOTING_OPEN)


def can_edit_criteria(user: User | None, round_: Round) -> bool:
    return bool(user is not None and getattr(user, "is_steering", False) and criteria_editable(round_))


def _criteria_editable(round_: Round) -> None:
    if not criteria_editable(round_):
        raise ServiceError(_l("The criteria are frozen once voting opens."))


def _clean_criterion(data: CriterionData) -> CriterionData:
    import re

    key = data.key.strip().lower()
    if not re.fullmatch(r"[a-z][a-z0-9_-]{0,39}", key):
        raise ServiceError(_l("Use lower-case letters, digits, - and _ (starting with a letter)."), "key")
    for field in ("name_nl", "name_en"):
        value = getattr(data, field).strip()
        if not value:
            raise ServiceError(_l("Enter a name."), field)
        if len(value) > 120:
            raise ServiceError(_l("Use at most %(n)d characters.", n=120), field)
    if not (data.weight > 0 and math.isfinite(data.weight)):
        raise ServiceError(_l("A weight is a positive number."), "weight")
    if (
        not (math.isfinite(data.scale_min) and math.isfinite(data.scale_max))
        or data.scale_min >= data.scale_max
        or not math.isfinite(data.scale_max - data.scale_min)  # the normalisation divides by the span
    ):
        raise ServiceError(_l("The top of the scale must be above its bottom."), "scale_max")
    if data.integer_scale and (data.scale_min != int(data.scale_min) or data.scale_max != int(data.scale_max)):
        raise ServiceError(_l("A scale of whole numbers needs whole-number ends."), "scale_min")
    anchors = {field: getattr(data, field).strip() for field in ANCHOR_FIELDS}
    for field, value in anchors.items():
        if len(value) > 200:
            raise ServiceError(_l("Use at most %(n)d characters.", n=200), field)
    return CriterionData(
        key=key,
        name_nl=data.name_nl.strip(),
        name_en=data.name_en.strip(),
        description_nl=data.description_nl.strip()[:2000],
        description_en=data.description_en.strip()[:2000],
        weight=float(data.weight),
        direction=Direction(data.direction),
        scale_min=float(data.scale_min),
        scale_max=float(data.scale_max),
        integer_scale=bool(data.integer_scale),
        **anchors,
    )


def add_criterion(actor: User, round_id: int, data: CriterionData) -> Criterion:
    _require_steering(actor)
    round_ = get_round(round_id)
    _criteria_editable(round_)
    data = _clean_criterion(data)
    if any(c.key == data.key for c in round_.criteria):
        raise ServiceError(_l("Another criterion of this round has this key."), "key")
    with unit_of_work(_l("Another criterion of this round has this key."), "key"):
        criterion = Criterion(**asdict(data), position=len(round_.criteria))
        round_.criteria.append(criterion)
        round_.ahp_judgements = None  # new criterion: earlier pairwise comparisons no longer cover them all
        round_.version += 1
        db.session.flush()
        audit.record(actor, "round.criterion_added", "round", round_.id, criterion=data.key, weight=data.weight)
    return criterion


def get_criterion(round_: Round, criterion_id: int) -> Criterion:
    criterion = next((c for c in round_.criteria if c.id == criterion_id), None)
    if criterion is None:
        raise NotFound(_l("This criterion does not exist."))
    return criterion


def update_criterion(
    actor: User, round_id: int, criterion_id: int, data: CriterionData, expected_version: int | None
) -> Criterion:
    _require_steering(actor)
    round_ = get_round(round_id)
    check_version(round_.version, expected_version)
    _criteria_editable(round_)
    criterion = get_criterion(round_, criterion_id)
    data = _clean_criterion(data)
    if any(c.key == data.key and c.id != criterion.id for c in round_.criteria):
        raise ServiceError(_l("Another criterion of this round has this key."), "key")
    changed = [name for name, new in asdict(data).items() if getattr(criterion, name) != new]
    for name in changed:
        setattr(criterion, name, getattr(data, name))
    with unit_of_work(_l("Another criterion of this round has this key."), "key"):
        if changed:
            if "weight" in changed:
                round_.ahp_judgements = None
            round_.version += 1
            audit.record(actor, "round.criterion_updated", "round", round_.id, criterion=criterion.key, fields=changed)
    return criterion


def remove_criterion(actor: User, round_id: int, criterion_id: int) -> None:
    _require_steering(actor)
    round_ = get_round(round_id)
    _criteria_editable(round_)
    criterion = get_criterion(round_, criterion_id)
    with unit_of_work():
        audit.record(actor, "round.criterion_removed", "round", round_.id, criterion=criterion.key)
        round_.criteria.remove(criterion)
        round_.ahp_judgements = None
        round_.version += 1


def ahp_matrix(criteria: list[Criterion], judgements: dict[str, float]) -> list[list[float]]:
    """The reciprocal matrix from judgements keyed "i:j" (criterion ids, i before j in the round's order)."""
    size = len(criteria)
    matrix = [[1.0] * size for _ in range(size)]
    for i in range(size):
        for j in range(i + 1, size):
            value = float(judgements[f"{criteria[i].id}:{criteria[j].id}"])
            matrix[i][j], matrix[j][i] = value, 1.0 / value
    return matrix


@dataclass(frozen=True)
class JudgementIssue:
    """A pairwise judgement that the derived weights contradict: ``first`` was judged ``judgement`` times as
    important as ``second``, where the weights make it ``implied`` times."""

    first: Criterion
    second: Criterion
    judgement: float
    implied: float


@dataclass(frozen=True)
class AHPOutcome:
    """What pairwise comparisons gave: the consistency, the derived weight per criterion id, whether they were
    applied (inconsistent comparisons wait for the committee's confirmation) and the most inconsistent judgements."""

    result: ranking.AHPResult
    weights: dict[int, float]
    applied: bool
    worst: list[JudgementIssue]

    @property
    def cr(self) -> float:
        return self.result.cr

    @property
    def inconsistent(self) -> bool:
        return self.result.inconsistent


def apply_ahp(
    actor: User,
    round_id: int,
    judgements: dict[str, float],
    expected_version: int | None,
    *,
    apply_inconsistent: bool = False,
) -> AHPOutcome:
    """Derive the criteria weights from pairwise comparisons (principal eigenvector). Consistent comparisons
    (CR <= 0.10) are applied at once; inconsistent ones only with ``apply_inconsistent`` (the committee saw the
    preview and confirms): otherwise nothing changes and the outcome names the judgements that deviate most."""
    _require_steering(actor)
    round_ = get_round(round_id)
    check_version(round_.version, expected_version)
    _criteria_editable(round_)
    criteria = list(round_.criteria)
    if len(criteria) < 2:
        raise ServiceError(_l("Pairwise comparison needs at least two criteria."))
    allowed = {1 / 9, 1 / 7, 1 / 5, 1 / 3, 1, 3, 5, 7, 9, 1 / 8, 1 / 6, 1 / 4, 1 / 2, 2, 4, 6, 8}
    try:
        matrix = ahp_matrix(criteria, judgements)
    except (KeyError, ValueError, ZeroDivisionError):
        raise ServiceError(_l("Compare every pair of criteria.")) from None
    if any(not any(math.isclose(v, a) for a in allowed) for v in judgements.values()):
        raise ServiceError(_l("Use Saaty's scale: 1 to 9 or its reciprocals."))
    result = ranking.ahp(matrix)
    worst = [
        JudgementIssue(criteria[item.i], criteria[item.j], item.judgement, item.implied)
        for item in inconsistent_judgements(matrix, result.weights)
    ]
    derived = {c.id: round(float(w), 6) for c, w in zip(criteria, result.weights, strict=True)}
    if result.inconsistent and not apply_inconsistent:
        return AHPOutcome(result=result, weights=derived, applied=False, worst=worst)
    with unit_of_work():
        for criterion in criteria:
            criterion.weight = derived[criterion.id]
        round_.ahp_judgements = {key: float(value) for key, value in judgements.items()}
        round_.version += 1
        details: dict[str, Any] = {}
        if result.inconsistent:
            details = {
                "applied_despite_inconsistency": True,
                "most_inconsistent": [f"{i.first.key}:{i.second.key}" for i in worst],
            }
        audit.record(
            actor,
            "round.weights_from_ahp",
            "round",
            round_.id,
            consistency_ratio=round(float(result.cr), 4),
            weights={c.key: c.weight for c in criteria},
            **details,
        )
    return AHPOutcome(result=result, weights=derived, applied=True, worst=worst)


def ahp_result(round_: Round) -> ranking.AHPResult | None:
    if not round_.ahp_judgements or len(round_.criteria) < 2:
        return None
    try:
        return ranking.ahp(ahp_matrix(list(round_.criteria), round_.ahp_judgements))
    except (KeyError, ValueError, ranking.RankingInputError):
        return None


# --- moving the phases ----------------------------------------------------------------------------------------


def eligible_challenges(round_: Round) -> list[Challenge]:
    return list(
        db.session.scalars(
            select(Challenge)
            .where(Challenge.year == round_.year, Challenge.status == ChallengeStatus.ELIGIBLE)
            .order_by(Challenge.created_at, Challenge.id)
        )
    )


def advance(actor: User | None, round_id: int, expected_phase: RoundPhase, expected_pass: int | None = None) -> Round:
    """Move the round to its next phase. ``expected_phase`` (and, in a Delphi round, ``expected_pass``) guards against
    a double click or a stale page. Closing the first pass of a Delphi round keeps voting open for the revision."""
    _require_steering(actor)
    round_ = lock_round(round_id)
    if round_.phase is not expected_phase or (expected_pass is not None and round_.delphi_pass != expected_pass):
        raise ServiceError(_l("The round has moved on in the meantime. Reload the page."))
    if round_.phase is RoundPhase.PUBLISHED:
        raise ServiceError(_l("The results are published: this round is finished."))
    if delphi.first_pass_open(round_):
        with unit_of_work():
            details = delphi.open_revision(round_)
            round_.version += 1
            audit.record(actor, "round.revision_opened", "round", round_.id, **details)
        return round_
    target = PHASE_ORDER[phase_index(round_.phase) + 1]
    now = utcnow()
    with unit_of_work():
        details: dict[str, Any] = {}
        if target is RoundPhase.PROPOSALS_OPEN:
            if not round_.criteria:
                raise ServiceError(_l("Add at least one criterion first."))
            round_.proposals_opened_at = now
        elif target is RoundPhase.VOTING_OPEN:
            details = _open_voting(round_)
            round_.voting_opened_at = now
        elif target is RoundPhase.CLOSED:
            details = _close(round_)
            round_.closed_at = now
        elif target is RoundPhase.PUBLISHED:
            round_.published_at = now
        round_.phase = target
        round_.version += 1
        audit.record(actor, f"round.{target.value}", "round", round_.id, **details)
        _notify_phase(actor, round_)
    return round_


#: The steps of a round that cannot be undone, each with the phase the round is in before it. The committee
#: confirms each on a page that says what it freezes (``step_summary``); opening the proposals freezes nothing.
CONFIRMED_STEPS: dict[str, RoundPhase] = {
    "voting_open": RoundPhase.PROPOSALS_OPEN,
    "closed": RoundPhase.VOTING_OPEN,
    "published": RoundPhase.CLOSED,
    "selection": RoundPhase.PUBLISHED,
}


@dataclass(frozen=True)
class StepSummary:
    """What a step freezes, counted: for its confirmation page."""

    step: str
    expected_phase: RoundPhase
    criteria: int
    eligible: int
    active_cities: int
    on_ballot: int
    ballots: int
    submitted: int
    scores: int
    computed_selection: int
    first_pass: bool = False  # closing the first pass of a Delphi round: the cities may revise, nothing is computed

    @property
    def not_submitted(self) -> int:
        return self.ballots - self.submitted


def step_ready(round_: Round, step: str) -> bool:
    """Can the step be taken now: is the round in the phase the step starts from (and, for the selection,
    not confirmed yet)?"""
    if step not in CONFIRMED_STEPS or round_.phase is not CONFIRMED_STEPS[step]:
        return False
    return step != "selection" or round_.confirmed_at is None


def can_take_step(user: User | None, round_: Round, step: str) -> bool:
    return bool(user is not None and getattr(user, "is_steering", False) and step_ready(round_, step))


def step_summary(round_: Round, step: str) -> StepSummary:
    """The counts a step's confirmation page shows, in one query: criteria, eligible challenges of the round's year,
    active cities, challenges on the ballot, ballots and submitted ballots, and the scores in the submitted ones."""
    if step not in CONFIRMED_STEPS:
        raise NotFound(_l("This step does not exist."))
    submitted = (Ballot.round_id == round_.id) & (Ballot.status == BallotStatus.SUBMITTED)
    row = db.session.execute(
        select(
            select(func.count(Criterion.id)).where(Criterion.round_id == round_.id).scalar_subquery(),
            select(func.count(Challenge.id))
            .where(Challenge.year == round_.year, Challenge.status == ChallengeStatus.ELIGIBLE)
            .scalar_subquery(),
            select(func.count(City.id)).where(City.active.is_(True)).scalar_subquery(),
            select(func.count(BallotEntry.id)).where(BallotEntry.round_id == round_.id).scalar_subquery(),
            select(func.count(Ballot.id)).where(Ballot.round_id == round_.id).scalar_subquery(),
            select(func.count(Ballot.id)).where(submitted).scalar_subquery(),
            select(func.count(Score.id)).join(Ballot, Score.ballot_id == Ballot.id).where(submitted).scalar_subquery(),
        )
    ).one()
    computed = len((result_of(round_) or {}).get("selected", [])) if step == "selection" else 0
    criteria, eligible, active, on_ballot, ballots, submitted_count, scores = (int(value or 0) for value in row)
    return StepSummary(
        step=step,
        expected_phase=CONFIRMED_STEPS[step],
        criteria=criteria,
        eligible=eligible,
        active_cities=active,
        on_ballot=on_ballot,
        ballots=ballots,
        submitted=submitted_count,
        scores=scores,
        computed_selection=computed,
        first_pass=step == "closed" and delphi.first_pass_open(round_),
    )


def ballot_link(round_id: int, city_slug: str) -> str:
    """The path of a city's ballot (notifications and the home page link to it)."""
    return f"/rounds/{round_id}/ballots/{city_slug}"


def _notify_phase(actor: User | None, round_: Round) -> None:
    """Proposals open and results published: the round's followers (everyone involved unless they unfollowed
    it). Voting opens: each city's voters hear of their own ballot."""
    if round_.phase is RoundPhase.PROPOSALS_OPEN:
        deadline = round_.proposals_deadline.isoformat() if round_.proposals_deadline else None
        params = {"year": round_.year, "deadline": deadline}
        notifications.notify(Kind.PROPOSALS_OPEN, notifications.round_followers(round_), f"/rounds/{round_.id}", params, actor)
    elif round_.phase is RoundPhase.VOTING_OPEN:
        for ballot in round_.ballots:
            notifications.notify(
                Kind.VOTING_OPEN,
                notifications.round_followers(round_, among=notifications.city_voters(ballot.city_id)),
                ballot_link(round_.id, ballot.city.slug),
                {"year": round_.year, "city": ballot.city.name},
                actor,
            )
    elif round_.phase is RoundPhase.PUBLISHED:
        notifications.notify(
            Kind.RESULTS_PUBLISHED,
            notifications.round_followers(round_),
            f"/rounds/{round_.id}/results",
            {"year": round_.year},
            actor,
        )


def remind_voters(on: date, days_before: int) -> int:
    """Once per round and city: the voters of a city whose ballot is not submitted hear that voting closes
    soon, when the deadline is ``days_before`` days away or closer. Returns how many cities were reminded."""
    rounds = db.session.scalars(
        select(Round).where(
            Round.phase == RoundPhase.VOTING_OPEN,
            Round.voting_deadline >= on,
            Round.voting_deadline <= on + timedelta(days=days_before),
        )
    ).all()
    reminded = 0
    for found in rounds:
        # Two runs at once (two workers on two days' guards, a manual run): the round's lock makes the second
        # read the reminders the first stored, so nobody hears twice.
        round_ = lock_round(found.id)
        ballots = db.session.scalars(
            select(Ballot).where(Ballot.round_id == round_.id, Ballot.status != BallotStatus.SUBMITTED).order_by(Ballot.id)
        ).all()
        links = {ballot.id: ballot_link(round_.id, ballot.city.slug) for ballot in ballots}
        already = set(
            db.session.scalars(
                select(Notification.link).where(
                    Notification.kind == Kind.VOTING_REMINDER.value, Notification.link.in_(links.values())
                )
            )
        )
        with unit_of_work():
            cities = []
            for ballot in ballots:
                if links[ballot.id] in already:
                    continue
                params = {"city": ballot.city.name, "year": round_.year, "deadline": round_.voting_deadline.isoformat()}
                voters = notifications.round_followers(round_, among=notifications.city_voters(ballot.city_id))
                if notifications.notify(Kind.VOTING_REMINDER, voters, links[ballot.id], params):
                    cities.append(ballot.city.slug)
            if cities:
                audit.record(None, "round.voters_reminded", "round", round_.id, cities=cities)
        reminded += len(cities)
    return reminded


def _open_voting(round_: Round) -> dict:
    if not round_.criteria:
        raise ServiceError(_l("Add at least one criterion first."))
    challenges = eligible_challenges(round_)
    if len(challenges) < round_.pilots_to_select:
        raise ServiceError(
            _l(
                "The ballot needs at least %(n)d eligible challenges of %(year)d; screen the submitted ones first.",
                n=round_.pilots_to_select,
                year=round_.year,
            )
        )
    for position, challenge in enumerate(challenges):
        round_.entries.append(BallotEntry(challenge_id=challenge.id, position=position))
    cities = db.session.scalars(select(City).where(City.active.is_(True)).order_by(City.name)).all()
    for city in cities:
        round_.ballots.append(Ballot(city_id=city.id))
    return {"challenges": [c.id for c in challenges], "cities": [c.slug for c in cities]}


#: How many cities must give their weights before a confidential round that ranks with them can close.
MIN_CITIES_WEIGHING = 3


def missing_efforts(round_: Round) -> list[Challenge]:
    """The ballot's challenges without an estimated effort, when the round has a capacity (which needs them all)."""
    if round_.capacity is None:
        return []
    return [e.challenge for e in round_.entries if e.challenge.effort is None]


def snapshot_document(round_: Round) -> dict[str, Any]:
    """The ranking input, from the submitted ballots: the contract of `flask rank` (docs/ranking.md), version 2.

    Rounds closed before version 2 keep their version-1 snapshot, which still recomputes to its published result."""
    criteria = list(round_.criteria)
    keys = {c.id: c.key for c in criteria}
    entries = [e.challenge for e in round_.entries]
    ballots = db.session.scalars(
        select(Ballot)
        .where(Ballot.round_id == round_.id, Ballot.status == BallotStatus.SUBMITTED)
        .options(selectinload(Ballot.scores))
        .order_by(Ballot.id)
    ).all()
    document: dict[str, Any] = {
        "alternatives": [str(c.id) for c in entries],
        "criteria": [
            {"id": c.key, "weight": c.weight, "direction": c.direction.value, "scale": [c.scale_min, c.scale_max]}
            for c in criteria
        ],
        "ballots": [],
        "method": round_.method,
        "normalization": round_.normalization,
        "select": round_.pilots_to_select,
        "sensitivity": {"samples": round_.sensitivity_samples, "seed": round_.seed, "perturbation": round_.perturbation},
        "quorum": effective_quorum(round_),
    }
    for ballot in sorted(ballots, key=lambda b: b.city.slug):
        scores: dict[str, dict[str, float]] = {}
        for score in ballot.scores:
            scores.setdefault(str(score.challenge_id), {})[keys[score.criterion_id]] = score.value
        document["ballots"].append({"voter": ballot.city.slug, "scores": scores})
    if not round_.allow_self_scoring:
        document["exclude_self"] = {str(c.id): c.city.slug for c in entries}
    document["version"] = 2
    document["tie_break"] = (
        {"rule": TieBreak.FIRST_CRITERION_THEN_DRAW.value, "seed": round_.seed}
        if round_.tie_break is TieBreak.FIRST_CRITERION_THEN_DRAW
        else {"rule": TieBreak.DEFAULT.value}
    )
    if round_.weight_source is WeightSource.CITIES:
        document["weight_aggregation"] = "geometric_mean"
        document["voter_weights"] = {b.city.slug: dict(b.weights) for b in ballots if b.weights}
    efforts = {str(c.id): c.effort for c in entries if c.effort is not None}
    if efforts:
        document["effort"] = efforts
    if round_.capacity is not None:
        document["capacity"] = round_.capacity
    if delphi.in_revision(round_):
        # Both passes, oldest first; the engine ranks with the last, which ``ballots`` must equal.
        document["passes"] = [delphi.first_pass_ballots(round_, keys), document["ballots"]]
    return document


def _close(round_: Round) -> dict:
    submitted = [b for b in round_.ballots if b.status is BallotStatus.SUBMITTED]
    if not submitted:
        raise ServiceError(_l("No city has submitted its ballot yet."))
    missing = missing_efforts(round_)
    if missing:
        raise ServiceError(
            _l(
                "The round has a capacity, so every challenge on the ballot needs an estimated effort; missing for: %(titles)s.",
                titles=", ".join(c.title for c in missing),
            )
        )
    if round_.weight_source is WeightSource.CITIES and not any(b.weights for b in submitted):
        raise ServiceError(_l("The round ranks with the cities' weights, but no submitted ballot gives weights."))
    weighing = sum(1 for b in submitted if b.weights)
    if round_.weight_source is WeightSource.CITIES and round_.ballots_confidential and weighing < MIN_CITIES_WEIGHING:
        # The group weights are public: with one city they are its weights, with two a city that knows its own
        # reads the other's from them. A confidential round needs enough cities for its promise to hold.
        raise ServiceError(
            _l(
                "This round keeps the ballots confidential, but only %(n)d of the submitted ballots give weights: "
                "with fewer than %(min)d, the group weights would show a city's own weights. Wait for more cities.",
                n=weighing,
                min=MIN_CITIES_WEIGHING,
            )
        )
    document = snapshot_document(round_)
    try:
        result = ranking.run(document)
        stored = ranking.canonical_json(result)  # refuses NaN and infinities, which no JSON reader could take back
    except ranking.RankingInputError as error:  # settings the engine refuses (e.g. too many samples for Schulze)
        raise ServiceError(_l("The result could not be computed: %(reason)s", reason=str(error))) from None
    round_.snapshot = RoundSnapshot(document=ranking.canonical_json(document), sha256=ranking.sha256(document), result=stored)
    return {"sha256": round_.snapshot.sha256, "ballots": len(submitted), "selected": result["selected"]}


def result_of(round_: Round) -> dict[str, Any] | None:
    return json.loads(round_.snapshot.result) if round_.snapshot else None


# --- who sees what of a round's outcome ------------------------------------------------------------------------
# The one rule for everything that carries a round's result or its cities' scores (the results page and its CSVs,
# the snapshot, the ballots, the exports, the API): the views, templates and exports ask these, nothing else.
#
# * The ranking and its robustness (aggregates, no city's own scores): everyone signed in once the results are
#   published; between closing and publishing only the steering committee, which checks it before publishing.
# * A city's own scores: its own staff always; everyone signed in once published, unless the round keeps its
#   ballots confidential. Before publication nobody else, the committee included: it sees only who submitted.
# * The snapshot holds every city's scores: downloadable only once published; in a confidential round only by the
#   steering committee. Administrators are not the committee: they see what any signed-in user sees.


def results_public(round_: Round) -> bool:
    """Is the round's result out for everyone (the public API, exports, reports)?"""
    return round_.phase is RoundPhase.PUBLISHED


def scores_public(round_: Round) -> bool:
    """Are every city's scores of the round out for everyone (the public API's snapshot, the ballots export)?"""
    return round_.phase is RoundPhase.PUBLISHED and not round_.ballots_confidential


def can_see_results(user: User, round_: Round) -> bool:
    """May ``user`` see the ranking, robustness and selection of the round (aggregates only)?"""
    if not getattr(user, "is_authenticated", False):
        return False
    if results_public(round_):
        return True
    return round_.phase is RoundPhase.CLOSED and bool(user.is_steering)


#: Version-2 result blocks that describe one city each (its weights, how far it is from the group, how its own
#: order of the challenges agrees with the group's): as private as the city's scores.
PER_CITY_BLOCKS = ("city_weights", "distance")


def public_result(round_: Round, result: dict[str, Any] | None) -> dict[str, Any] | None:
    """The result as the public API and exports give it: without the per-city blocks while the cities' scores
    are not public (a confidential round), so that nobody reads a city's weights or dissent there."""
    if result is None or scores_public(round_):
        return result
    shown = {**result, **{key: None for key in PER_CITY_BLOCKS if key in result}}
    if isinstance(result.get("consensus"), dict):
        cells = result["consensus"].get("cells") or {}
        shown["consensus"] = {
            **result["consensus"],
            "cities": [],
            "cells": {a: {c: shareable_cell(cell, False) for c, cell in row.items()} for a, row in cells.items()},
        }
    return shown


#: The spread of the cities' scores on one cell, for a reader who may not see every city's scores: shown only when
#: at least this many cities scored the cell (with two scores, a city that knows its own reads the other's; with
#: three, the median and quartiles are the scores themselves), and never its lowest and highest score, each of
#: which is one city's own.
MIN_SCORES_FOR_A_SPREAD = 5
SPREAD_FIGURES = ("min", "max", "median", "q1", "q3", "iqr", "std")


def shareable_cell(cell: dict[str, Any], every_city_visible: bool) -> dict[str, Any]:
    """One cell of the engine's ``consensus.cells`` as a reader may see it (``every_city_visible``: the reader
    may see the scores of every city that voted, as once the results of a round without confidential ballots are
    published)."""
    if every_city_visible:
        return cell
    if int(cell.get("n") or 0) < MIN_SCORES_FOR_A_SPREAD:
        return {**cell, **dict.fromkeys(SPREAD_FIGURES)}
    return {**cell, "min": None, "max": None}


shareable_cell.threshold = MIN_SCORES_FOR_A_SPREAD  # type: ignore[attr-defined]  (the pages say it)


def can_see_scores(user: User, round_: Round, city_id: int) -> bool:
    """May ``user`` see the scores that the city ``city_id`` gave in this round?"""
    if not getattr(user, "is_authenticated", False):
        return False
    return user.is_staff_of(city_id) or scores_public(round_)


def can_see_ballot(user: User, round_: Round, ballot: Ballot) -> bool:
    """A city's ballot: whoever may see its scores (``can_see_scores``)."""
    return can_see_scores(user, round_, ballot.city_id)


def can_download_snapshot(user: User, round_: Round) -> bool:
    """The frozen snapshot (every submitted city's scores): once published, to everyone signed in unless the round
    keeps its ballots confidential, in which case only to the steering committee."""
    if not getattr(user, "is_authenticated", False) or not results_public(round_) or round_.snapshot is None:
        return False
    return scores_public(round_) or bool(user.is_steering)


# --- confirming the selection ---------------------------------------------------------------------------------


def confirm_selection(actor: User, round_id: int, selected: list[int], justification: str) -> list[Pilot]:
    """The committee confirms the computed selection, or overrides it with a written justification.
    Challenges on the ballot become selected or not selected; each selected one gets a pilot."""
    _require_steering(actor)
    round_ = get_round(round_id)
    if round_.phase is not RoundPhase.PUBLISHED:
        raise ServiceError(_l("Publish the results before confirming the selection."))
    if round_.confirmed_at is not None:
        raise ServiceError(_l("The selection of this round is already confirmed."))
    on_ballot = {e.challenge_id: e.challenge for e in round_.entries}
    chosen = list(dict.fromkeys(selected))
    if not chosen or any(challenge_id not in on_ballot for challenge_id in chosen):
        raise ServiceError(_l("Choose challenges from this round's ballot."), "selected")
    computed = [int(a) for a in (result_of(round_) or {}).get("selected", [])]
    justification = justification.strip()
    overridden = sorted(chosen) != sorted(computed)
    if overridden and len(justification) < 20:
        raise ServiceError(_l("Overriding the ranking needs a written justification (at least 20 characters)."), "justification")
    if len(justification) > 5000:
        raise ServiceError(_l("This text is too long."), "justification")
    now = utcnow()
    pilots = []
    with unit_of_work():
        for challenge_id, challenge in on_ballot.items():
            challenge.status = ChallengeStatus.SELECTED if challenge_id in chosen else ChallengeStatus.NOT_SELECTED
        for challenge_id in chosen:
            challenge = on_ballot[challenge_id]
            pilot = Pilot(
                title=challenge.title,
                goal=challenge.summary,
                challenge_id=challenge.id,
                round_id=round_.id,
                lead_city_id=challenge.city_id,
            )
            db.session.add(pilot)
            workspaces.start_from_challenge(pilot, challenge)
            pilots.append(pilot)
        round_.confirmed_at = now
        round_.confirmed_by_id = actor.id if actor else None
        round_.override_justification = justification if overridden else None
        round_.version += 1
        db.session.flush()
        audit.record(
            actor,
            "round.selection_confirmed",
            "round",
            round_.id,
            selected=chosen,
            computed=computed,
            overridden=overridden,
            justification=justification or None,
            pilots=[p.id for p in pilots],
        )
    return pilots


# --- ballots --------------------------------------------------------------------------------------------------


def get_ballot(round_: Round, city_id: int) -> Ballot:
    ballot = db.session.scalar(
        select(Ballot)
        .where(Ballot.round_id == round_.id, Ballot.city_id == city_id)
        .options(selectinload(Ballot.scores), selectinload(Ballot.notes))
    )
    if ballot is None:
        raise NotFound(_l("This city has no ballot in this round."))
    return ballot


def excluded_cells(round_: Round, ballot: Ballot) -> set[int]:
    """Challenges the city may not score: its own, unless the round allows it."""
    if round_.allow_self_scoring:
        return set()
    return {e.challenge_id for e in round_.entries if e.challenge.city_id == ballot.city_id}


@dataclass
class BallotInput:
    """What a voter typed: raw text per (challenge id, criterion id), a note per challenge id, and in the second
    pass of a Delphi round a reason per changed cell."""

    cells: dict[tuple[int, int], str]
    notes: dict[int, str]
    reasons: dict[tuple[int, int], str] = dataclasses.field(default_factory=dict)


@dataclass
class BallotErrors(ServiceError):
    """Cells that could not be saved, with a message each (``reasons``: for the Delphi reason of a cell); nothing
    was saved."""

    cells: dict[tuple[int, int], str]
    reasons: dict[tuple[int, int], str]

    def __init__(self, cells: dict[tuple[int, int], str], reasons: dict[tuple[int, int], str] | None = None) -> None:
        if cells:
            super().__init__(_l("Some scores are not valid; nothing was saved. Correct the marked cells."))
        else:
            super().__init__(_l("Some changed scores have no reason; nothing was saved. Give a reason next to each marked cell."))
        self.cells = cells
        self.reasons = reasons or {}


def parse_scores(round_: Round, ballot: Ballot, data: BallotInput) -> tuple[dict[tuple[int, int], float], dict[int, str]]:
    """Check every typed score against its criterion's scale; raise BallotErrors listing every bad cell."""
    criteria = {c.id: c for c in round_.criteria}
    entries = {e.challenge_id for e in round_.entries}
    excluded = excluded_cells(round_, ballot)
    values: dict[tuple[int, int], float] = {}
    errors: dict[tuple[int, int], str] = {}
    for (challenge_id, criterion_id), raw in data.cells.items():
        raw = (raw or "").strip().replace(",", ".")
        if challenge_id not in entries or criterion_id not in criteria:
            continue  # not on this ballot: ignored
        if raw == "":
            continue  # blank: abstain
        if challenge_id in excluded:
            errors[(challenge_id, criterion_id)] = str(_l("Your city may not score its own challenge."))
            continue
        criterion = criteria[criterion_id]
        try:
            value = float(raw)
        except ValueError:
            value = math.nan
        if not math.isfinite(value) or not criterion.scale_min <= value <= criterion.scale_max:
            errors[(challenge_id, criterion_id)] = str(
                _l("Enter a number from %(min)s to %(max)s.", min=_number(criterion.scale_min), max=_number(criterion.scale_max))
            )
            continue
        if criterion.integer_scale and value != int(value):
            errors[(challenge_id, criterion_id)] = str(_l("Enter a whole number."))
            continue
        values[(challenge_id, criterion_id)] = value
    notes = {}
    for challenge_id, text in data.notes.items():
        text = (text or "").strip()
        if challenge_id in entries and text:
            if len(text) > 1000:
                errors[(challenge_id, 0)] = str(_l("Use at most %(n)d characters.", n=1000))
            notes[challenge_id] = text
    if errors:
        raise BallotErrors(errors)
    return values, notes


def _number(value: float) -> str:
    return str(int(value)) if value == int(value) else str(value)


def _voting_open(round_: Round) -> None:
    if round_.phase is not RoundPhase.VOTING_OPEN:
        raise ServiceError(_l("Voting is not open in this round."))


def _require_voter(actor: User, city_id: int) -> None:
    if not actor.is_voter_of(city_id):
        raise Forbidden(_l("Only your city's voters fill in its ballot."))


def lacks_city_weights(round_: Round, ballot: Ballot) -> bool:
    """In a round that ranks with the cities' weights, a ballot is submitted only with its city's weight for every
    criterion (pilots/services/city_weights.py): the group weights are the geometric mean of the submitted ones."""
    if round_.weight_source is not WeightSource.CITIES:
        return False
    return set(ballot.weights or {}) != {criterion.key for criterion in round_.criteria}


def save_ballot(
    actor: User, round_id: int, city_id: int, data: BallotInput, expected_version: int | None, submit: bool = False
) -> Ballot:
    """Save the whole grid as the ballot's new content (a constant number of SQL statements), and submit it
    if asked. A submitted ballot must be reopened before it changes."""
    round_ = lock_round(round_id, share=True)
    _require_voter(actor, city_id)
    _voting_open(round_)
    ballot = get_ballot(round_, city_id)
    check_version(ballot.version, expected_version)
    if ballot.status is BallotStatus.SUBMITTED:
        raise ServiceError(_l("This ballot is submitted. Reopen it to change it."))
    values, notes = parse_scores(round_, ballot, data)
    first, reasons, cell_errors, reason_errors = delphi.check_revision(round_, ballot, values, data.reasons, submit)
    if cell_errors or reason_errors:
        raise BallotErrors(cell_errors, reason_errors)
    if submit and not values:
        raise ServiceError(_l("Score at least one challenge before submitting."))
    if submit and lacks_city_weights(round_, ballot):
        raise ServiceError(_l("Give your city's weights before submitting."), "weights")
    with unit_of_work():
        # Claim the ballot first: its version-checked UPDATE locks the row, so a concurrent save of the same
        # version waits here and is then refused as stale, before it touches the scores.
        ballot.updated_by_id = actor.id
        ballot.updated_at = utcnow()
        ballot.version += 1
        if submit:
            ballot.status = BallotStatus.SUBMITTED
            ballot.submitted_at = utcnow()
            ballot.submitted_by_id = actor.id
        db.session.flush()
        db.session.execute(delete(Score).where(Score.ballot_id == ballot.id))
        db.session.execute(delete(BallotNote).where(BallotNote.ballot_id == ballot.id))
        if values:
            db.session.execute(
                insert(Score),
                [
                    {
                        "ballot_id": ballot.id,
                        "challenge_id": challenge_id,
                        "criterion_id": criterion_id,
                        "value": value,
                        "first_value": first.get((challenge_id, criterion_id)),
                        "revision_reason": reasons.get((challenge_id, criterion_id), ""),
                    }
                    for (challenge_id, criterion_id), value in sorted(values.items())
                ],
            )
        if notes:
            db.session.execute(
                insert(BallotNote),
                [
                    {"ballot_id": ballot.id, "challenge_id": challenge_id, "text": text}
                    for challenge_id, text in sorted(notes.items())
                ],
            )
        audit.record(
            actor,
            "ballot.submitted" if submit else "ballot.saved",
            "round",
            round_.id,
            city_id=city_id,
            scores=len(values),
            notes=len(notes),
            **({"revised": len(reasons)} if delphi.in_revision(round_) else {}),
        )
    db.session.expire(ballot)
    return ballot


def reopen_ballot(actor: User, round_id: int, city_id: int, expected_version: int | None) -> Ballot:
    round_ = lock_round(round_id, share=True)
    _require_voter(actor, city_id)
    _voting_open(round_)
    ballot = get_ballot(round_, city_id)
    check_version(ballot.version, expected_version)
    if ballot.status is not BallotStatus.SUBMITTED:
        return ballot
    with unit_of_work():
        ballot.status = BallotStatus.DRAFT
        ballot.submitted_at = None
        ballot.version += 1
        audit.record(actor, "ballot.reopened", "round", round_.id, city_id=city_id)
    return ballot


def ballot_counts(round_ids: list[int]) -> dict[int, tuple[int, int]]:
    """(submitted, total) ballots per round, in one query."""
    rows = db.session.execute(
        select(Ballot.round_id, func.count(Ballot.id), func.count(Ballot.submitted_at))
        .where(Ballot.round_id.in_(round_ids or [-1]))
        .group_by(Ballot.round_id)
    )
    return {round_id: (submitted, total) for round_id, total, submitted in rows}
