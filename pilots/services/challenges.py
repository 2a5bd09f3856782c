"""Use cases for challenges: propose, edit, submit, withdraw, candidate datasets, co-sponsorship,
discussion and screening. Every change is checked against the acting user's cities and audited."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from urllib.parse import urlsplit

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import selectinload

from pilots.dcat import is_web_uri
from pilots.extensions import db
from pilots.models import (
    AuditEvent,
    Availability,
    CandidateDataset,
    Challenge,
    ChallengeStatus,
    City,
    Comment,
    CoSponsorship,
    EffortUnit,
    Round,
    User,
    utcnow,
)
from pilots.models.challenge import EDITABLE_STATUSES, OPEN_STATUSES, PUBLIC_STATUSES
from pilots.services import accounts, audit, notifications
from pilots.services.errors import Forbidden, NotFound, ServiceError, StaleEdit
from pilots.services.notifications import Kind
from pilots.services.transaction import check_version, unit_of_work
from pilots.vocabularies import CHALLENGE_STATUS_LABELS, FILE_TYPES, FREQUENCIES, LICENCES, THEMES

FIRST_YEAR = 2017  # the programme's first datapilot
MAX_DATASETS = 30


def year_range() -> range:
    """Years a challenge may be proposed for: from the first pilot year to next year."""
    return range(FIRST_YEAR, utcnow().year + 2)


#: Checks that can close editing for reasons outside the challenge itself (a round's voting phase adds one).
#: Each returns a reason, or None when editing is still open.
EDITING_LOCKS: list[Callable[[Challenge], str | None]] = []


def editing_closed_reason(challenge: Challenge) -> str | None:
    from pilots.models import BallotEntry, Round, RoundPhase

    if challenge.status not in EDITABLE_STATUSES:
        label = CHALLENGE_STATUS_LABELS[challenge.status]
        return str(_l("This challenge can no longer be changed (status: %(status)s).", status=str(label).lower()))
    if challenge.id is not None:
        round_title = db.session.scalar(
            select(Round.title)
            .join(BallotEntry, BallotEntry.round_id == Round.id)
            .where(
                BallotEntry.challenge_id == challenge.id,
                Round.phase.in_((RoundPhase.VOTING_OPEN, RoundPhase.CLOSED, RoundPhase.PUBLISHED)),
            )
        )
        if round_title:
            return str(_l("Voting has opened on this challenge (%(round)s): it can no longer be changed.", round=round_title))
    for lock in EDITING_LOCKS:
        reason = lock(challenge)
        if reason:
            return reason
    return None


# --- reading -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    year: int | None = None
    theme: str | None = None
    city: str | None = None  # slug
    status: str | None = None
    q: str = ""
    sort: str = "newest"
    include_own_drafts: bool = True
    mine: bool = False  # only the user's own cities' challenges (drafts included)


SORTS = ("newest", "oldest", "title", "city", "cosponsors")


def _visible(query: Select, user: User | None) -> Select:
    """Everyone sees public challenges; a city's staff also see their own drafts."""
    city_ids = accounts.city_ids(user)
    condition = Challenge.status.in_(PUBLIC_STATUSES)
    if city_ids:
        condition = or_(condition, Challenge.city_id.in_(city_ids))
    return query.where(condition)


def dataset_counts() -> Select:
    return select(func.count(CandidateDataset.id)).where(CandidateDataset.challenge_id == Challenge.id).scalar_subquery()


def cosponsor_counts() -> Select:
    return select(func.count(CoSponsorship.id)).where(CoSponsorship.challenge_id == Challenge.id).scalar_subquery()


def list_query(user: User | None, filters: Filters) -> Select:
    """Challenges the user may see, filtered and sorted, with their dataset and co-sponsor counts.

    Rows are ``(Challenge, dataset_count, cosponsor_count)``; the city comes joined: one query per page.
    """
    datasets = dataset_counts().label("dataset_count")
    cosponsors = cosponsor_counts().label("cosponsor_count")
    query = _visible(select(Challenge, datasets, cosponsors), user)
    if filters.mine:
        query = query.where(Challenge.city_id.in_(accounts.city_ids(user) or [-1]))
    if not filters.include_own_drafts:
        query = query.where(Challenge.status != ChallengeStatus.DRAFT)
    if filters.year:
        query = query.where(Challenge.year == filters.year)
    if filters.theme:
        query = query.where(Challenge.theme == filters.theme)
    if filters.city:
        query = query.where(Challenge.city.has(City.slug == filters.city))
    if filters.status:
        query = query.where(Challenge.status == filters.status)
    if filters.q:
        pattern = f"%{filters.q.lower()}%"
        query = query.where(or_(func.lower(Challenge.title).like(pattern), func.lower(Challenge.summary).like(pattern)))
    order = {
        "newest": (Challenge.year.desc(), Challenge.created_at.desc()),
        "oldest": (Challenge.year, Challenge.created_at),
        "title": (func.lower(Challenge.title),),
        "city": (select(City.name).where(City.id == Challenge.city_id).scalar_subquery(), Challenge.year.desc()),
        "cosponsors": (cosponsors.desc(), Challenge.year.desc()),
    }[filters.sort if filters.sort in SORTS else "newest"]
    return query.order_by(*order, Challenge.id.desc())


def cosponsor_names(challenge_ids: list[int]) -> dict[int, list[str]]:
    """The co-sponsoring cities' names per challenge, in one query."""
    names: dict[int, list[str]] = {challenge_id: [] for challenge_id in challenge_ids}
    if not challenge_ids:
        return names
    rows = db.session.execute(
        select(CoSponsorship.challenge_id, City.name)
        .join(City, City.id == CoSponsorship.city_id)
        .where(CoSponsorship.challenge_id.in_(challenge_ids))
        .order_by(City.name)
    )
    for challenge_id, name in rows:
        names[challenge_id].append(name)
    return names


def available_years() -> list[int]:
    return list(db.session.scalars(select(Challenge.year).distinct().order_by(Challenge.year.desc())))


def get_visible(challenge_id: int, user: User | None) -> Challenge:
    """The challenge with its datasets, co-sponsors and comments, if the user may see it."""
    challenge = db.session.scalar(
        _visible(select(Challenge), user)
        .where(Challenge.id == challenge_id)
        .options(
            selectinload(Challenge.datasets),
            selectinload(Challenge.cosponsors),
            selectinload(Challenge.comments),
        )
    )
    if challenge is None:
        raise NotFound(_l("This challenge does not exist, or is not visible to you."))
    return challenge


def get_challenge(challenge_id: int) -> Challenge:
    challenge = db.session.get(Challenge, challenge_id)
    if challenge is None:
        raise NotFound(_l("This challenge does not exist, or is not visible to you."))
    return challenge


def city_of(challenge_id: int) -> int | None:
    """The proposing city's id (for the access policy), or None."""
    return db.session.scalar(select(Challenge.city_id).where(Challenge.id == challenge_id))


def history(challenge_id: int, limit: int = 50) -> list[AuditEvent]:
    return list(
        db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.object_type == "challenge", AuditEvent.object_id == str(challenge_id))
            .order_by(AuditEvent.id.desc())
            .limit(limit)
        )
    )


# --- proposing and editing -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChallengeData:
    title: str
    summary: str
    description: str
    theme: str
    expected_impact: str
    year: int


def _require_staff(actor: User, city_id: int) -> None:
    if not actor.is_staff_of(city_id):
        raise Forbidden(_l("You can only act for your own city."))


def _clean_challenge(data: ChallengeData) -> ChallengeData:
    title, summary = data.title.strip(), data.summary.strip()
    if not title:
        raise ServiceError(_l("Give the challenge a title."), "title")
    if len(title) > 160:
        raise ServiceError(_l("Use at most %(n)d characters.", n=160), "title")
    if not summary:
        raise ServiceError(_l("Summarise the challenge in a sentence or two."), "summary")
    if len(summary) > 500:
        raise ServiceError(_l("Use at most %(n)d characters.", n=500), "summary")
    if len(data.description) > 20_000 or len(data.expected_impact) > 5_000:
        raise ServiceError(_l("This text is too long."), "description" if len(data.description) > 20_000 else "expected_impact")
    if data.theme not in THEMES:
        raise ServiceError(_l("Choose a theme from the list."), "theme")
    if data.year not in year_range():
        years = year_range()
        raise ServiceError(_l("Choose a year from %(first)d to %(last)d.", first=years.start, last=years.stop - 1), "year")
    return ChallengeData(title, summary, data.description.strip(), data.theme, data.expected_impact.strip(), data.year)


def create_challenge(actor: User, city_id: int, data: ChallengeData) -> Challenge:
    _require_staff(actor, city_id)
    data = _clean_challenge(data)
    with unit_of_work():
        challenge = Challenge(**asdict(data), city_id=city_id, author=actor, status=ChallengeStatus.DRAFT)
        db.session.add(challenge)
        db.session.flush()
        audit.record(actor, "challenge.created", "challenge", challenge.id, title=data.title, city_id=city_id, year=data.year)
    return challenge


def _editable(actor: User, challenge: Challenge) -> None:
    _require_staff(actor, challenge.city_id)
    reason = editing_closed_reason(challenge)
    if reason:
        raise ServiceError(reason)


def _back_to_screening(actor: User, challenge: Challenge) -> None:
    """A screened challenge that changes goes back to the committee: its decision was about the old content."""
    if challenge.status in (ChallengeStatus.ELIGIBLE, ChallengeStatus.INELIGIBLE):
        audit.record(actor, "challenge.rescreening_needed", "challenge", challenge.id, previous_status=challenge.status.value)
        challenge.status = ChallengeStatus.SUBMITTED


def update_challenge(actor: User, challenge_id: int, data: ChallengeData, expected_version: int | None) -> Challenge:
    challenge = get_challenge(challenge_id)
    _editable(actor, challenge)
    check_version(challenge.version, expected_version)
    data = _clean_challenge(data)
    changes = {}
    for name, new in asdict(data).items():
        if getattr(challenge, name) != new:
            changes[name] = {"from": getattr(challenge, name), "to": new} if name in {"title", "theme", "year"} else "changed"
            setattr(challenge, name, new)
    with unit_of_work():
        if changes:
            challenge.version += 1
            audit.record(actor, "challenge.updated", "challenge", challenge.id, changes=changes)
            _back_to_screening(actor, challenge)
    return challenge


def submit(actor: User, challenge_id: int) -> Challenge:
    challenge = get_challenge(challenge_id)
    _editable(actor, challenge)
    if challenge.status is not ChallengeStatus.DRAFT:
        raise ServiceError(_l("Only a draft can be submitted."))
    if not challenge.datasets:
        raise ServiceError(_l("Add at least one candidate dataset before submitting."))
    with unit_of_work():
        challenge.status = ChallengeStatus.SUBMITTED
        challenge.submitted_at = utcnow()
        audit.record(actor, "challenge.submitted", "challenge", challenge.id)
    return challenge


def withdraw(actor: User, challenge_id: int) -> Challenge:
    challenge = get_challenge(challenge_id)
    _editable(actor, challenge)
    with unit_of_work():
        previous = challenge.status
        challenge.status = ChallengeStatus.WITHDRAWN
        audit.record(actor, "challenge.withdrawn", "challenge", challenge.id, previous_status=previous.value)
    return challenge


#: The largest estimated effort (the capacity of a round has the same bound).
MAX_EFFORT = 1_000_000


class _Unchanged:
    """The effort argument of :func:`screen` when the caller does not touch the effort."""

    def __repr__(self) -> str:
        return "UNCHANGED"


UNCHANGED = _Unchanged()


def clean_effort(value: str | float | None) -> float | None:
    """An estimated effort as typed ("3", "2.5" or "2,5") or given: None when empty. Refused (a ServiceError on the
    field ``effort``) unless it is a finite number from 0 to 1,000,000 with at most 2 decimals: the ranking engine
    counts efforts in hundredths (docs/ranking.md, "Capacity")."""
    if value is None:
        return None
    out_of_range = ServiceError(_l("The estimated effort is a number from 0 to 1,000,000."), "effort")
    too_precise = ServiceError(_l("Use at most 2 decimals: efforts are counted in hundredths."), "effort")
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        if "," in text and "." not in text:
            text = text.replace(",", ".")  # the Dutch decimal comma
        try:
            number = Decimal(text)
        except (InvalidOperation, ValueError):
            raise ServiceError(_l("Enter the estimated effort as a number, for example 3 or 2.5."), "effort") from None
        if not number.is_finite() or not 0 <= number <= MAX_EFFORT:
            raise out_of_range
        if number.as_tuple().exponent < -2:  # as typed: "1.234", but also "1,000" (a thousand, or one?)
            raise too_precise
        return float(number) + 0.0  # never -0.0
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ServiceError(_l("Enter the estimated effort as a number, for example 3 or 2.5."), "effort")
    number = float(value)
    if not math.isfinite(number) or not 0 <= number <= MAX_EFFORT:
        raise out_of_range
    hundredths = number * 100
    if abs(hundredths - round(hundredths)) > 1e-6 * max(1.0, abs(hundredths)):  # as the engine checks it
        raise too_precise
    return round(number, 2) + 0.0


def effort_frozen_reason(challenge: Challenge) -> str | None:
    """Why the estimated effort can no longer change: the challenge is on the ballot of a round whose voting has
    opened (the round ranks and selects with the efforts it had then). None while it may change."""
    from pilots.services import voting  # voting imports the services this module's users import

    if challenge.id is None:
        return None
    round_ = voting.round_of_locked_challenge(challenge)
    if round_ is None:
        return None
    return str(_l("The estimated effort is frozen: voting has opened on this challenge (%(round)s).", round=round_.title))


def can_edit_effort(user: User | None, challenge: Challenge) -> bool:
    """May ``user`` record or change the challenge's estimated effort (at screening, or later)? The steering
    committee, while the challenge can be screened and is not on the ballot of a round whose voting opened."""
    return bool(
        user is not None
        and getattr(user, "is_authenticated", False)
        and user.is_steering
        and challenge.status in OPEN_STATUSES
        and effort_frozen_reason(challenge) is None
    )


def effort_round(challenge: Challenge) -> Round | None:
    """The round whose unit the effort is in: the round whose ballot holds the challenge, else the newest round of
    the challenge's year; None when the year has no round yet (the page then shows the number alone)."""
    from pilots.models import BallotEntry

    return db.session.scalar(
        select(Round)
        .outerjoin(BallotEntry, (BallotEntry.round_id == Round.id) & (BallotEntry.challenge_id == challenge.id))
        .where(or_(BallotEntry.id.is_not(None), Round.year == challenge.year))
        .order_by(BallotEntry.id.is_(None), Round.id.desc())
        .limit(1)
    )


def effort_unit(challenge: Challenge) -> EffortUnit | None:
    round_ = effort_round(challenge)
    return round_.effort_unit if round_ is not None else None


def screen(
    actor: User,
    challenge_id: int,
    eligible: bool,
    reason: str,
    effort: str | float | _Unchanged | None = UNCHANGED,
    effort_seen: float | _Unchanged | None = UNCHANGED,
) -> Challenge:
    """The steering committee marks a submitted challenge eligible or ineligible, with a reason the city sees, and
    an estimated effort (optional; ``UNCHANGED`` leaves it as it is). Saving the same decision and reason with
    only another effort records the new estimate without screening the challenge again (and tells nobody).

    ``effort_seen``: the effort the form showed; a new effort is refused (StaleEdit) when another member of the
    committee changed it since, rather than silently replacing their estimate."""
    if not actor.is_steering:
        raise Forbidden(_l("Only the steering committee screens challenges."))
    challenge = get_challenge(challenge_id)
    if challenge.status not in OPEN_STATUSES:
        raise ServiceError(_l("Only submitted challenges can be screened."))
    reason = reason.strip()
    if not eligible and not reason:
        raise ServiceError(_l("Tell the city why the challenge is not eligible."), "reason")
    if len(reason) > 2_000:
        raise ServiceError(_l("This text is too long."), "reason")
    previous_effort = challenge.effort
    new_effort = previous_effort if isinstance(effort, _Unchanged) else clean_effort(effort)
    effort_changed = new_effort != previous_effort
    if effort_changed and (frozen := effort_frozen_reason(challenge)):
        raise ServiceError(frozen, "effort")
    if effort_changed and not isinstance(effort_seen, _Unchanged) and effort_seen != previous_effort:
        raise StaleEdit(
            _l("Somebody else changed the estimated effort in the meantime. Check the effort shown and save again."),
            "effort",
        )
    new = ChallengeStatus.ELIGIBLE if eligible else ChallengeStatus.INELIGIBLE
    only_the_effort = effort_changed and challenge.status is new and (challenge.screening_reason or "") == reason
    if only_the_effort:
        with unit_of_work():
            challenge.effort = new_effort
            audit.record(
                actor, "challenge.effort_estimated", "challenge", challenge.id, effort={"from": previous_effort, "to": new_effort}
            )
        return challenge
    with unit_of_work():
        challenge.effort = new_effort
        previous = challenge.status
        challenge.status = new
        challenge.screening_reason = reason or None
        challenge.screened_at = utcnow()
        challenge.screened_by_id = actor.id
        audit.record(
            actor,
            "challenge.screened",
            "challenge",
            challenge.id,
            status={"from": previous.value, "to": new.value},
            reason=reason,
            effort={"from": previous_effort, "to": new_effort} if effort_changed else new_effort,
        )
        notifications.notify(
            Kind.CHALLENGE_SCREENED,
            notifications.city_staff([challenge.city_id]),
            f"/challenges/{challenge.id}",
            {"title": challenge.title, "eligible": eligible},
            actor,
        )
    return challenge


# --- candidate datasets --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DatasetData:
    title: str
    description: str = ""
    holder_city_id: int | None = None
    holder_name: str | None = None
    availability: Availability = Availability.NOT_COLLECTED
    url: str | None = None
    file_type: str | None = None
    licence: str | None = None
    frequency: str | None = None
    realtime: bool = False
    standard: str | None = None


def url_problem(url: str) -> str | None:
    """What is wrong with a web address a person typed, in words for next to the field (None: nothing)."""
    if len(url) > 500:
        return str(_l("Use at most %(n)d characters.", n=500))
    if is_web_uri(url):  # an absolute http(s) URI by RFC 3986, what the catalogue and the API carry
        return None
    try:
        has_host = bool(urlsplit(url).netloc)
    except ValueError:
        has_host = False
    if not url.lower().startswith(("http://", "https://")) or not has_host:
        return str(_l("Enter a web address starting with http:// or https://."))
    return str(
        _l("This web address contains characters that must be percent-encoded: spaces, quotes, < >, braces or accented letters.")
    )


def _clean_dataset(data: DatasetData) -> DatasetData:
    title = data.title.strip()
    if not title:
        raise ServiceError(_l("Give the dataset a title."), "title")
    if len(title) > 160:
        raise ServiceError(_l("Use at most %(n)d characters.", n=160), "title")
    holder_name = (data.holder_name or "").strip() or None
    if data.holder_city_id and holder_name:
        raise ServiceError(_l("Choose a city or type an organisation, not both."), "holder_name")
    if not data.holder_city_id and not holder_name:
        raise ServiceError(_l("Say who holds the data: a city or an organisation."), "holder_name")
    if data.holder_city_id and db.session.get(City, data.holder_city_id) is None:
        raise ServiceError(_l("Choose a city from the list."), "holder_city_id")
    url = (data.url or "").strip() or None
    if url is not None and (problem := url_problem(url)):
        raise ServiceError(problem, "url")
    availability = Availability(data.availability)
    if availability is Availability.OPEN and url is None:
        raise ServiceError(_l("Open data has an address: enter the URL."), "url")
    for name, value, allowed in (
        ("file_type", data.file_type, FILE_TYPES),
        ("licence", data.licence, LICENCES),
        ("frequency", data.frequency, FREQUENCIES),
    ):
        if value and value not in allowed:
            raise ServiceError(_l("Choose a value from the list."), name)
    standard = (data.standard or "").strip() or None
    if standard and len(standard) > 120:
        raise ServiceError(_l("Use at most %(n)d characters.", n=120), "standard")
    return DatasetData(
        title=title,
        description=data.description.strip()[:10_000],
        holder_city_id=data.holder_city_id or None,
        holder_name=holder_name,
        availability=availability,
        url=url,
        file_type=data.file_type or None,
        licence=data.licence or None,
        frequency=data.frequency or None,
        realtime=bool(data.realtime),
        standard=standard,
    )


def _dataset_fields(data: DatasetData) -> dict:
    return asdict(data)


def get_dataset(challenge_id: int, dataset_id: int) -> CandidateDataset:
    dataset = db.session.get(CandidateDataset, dataset_id)
    if dataset is None or dataset.challenge_id != challenge_id:
        raise NotFound(_l("This dataset does not exist."))
    return dataset


def add_dataset(actor: User, challenge_id: int, data: DatasetData) -> CandidateDataset:
    challenge = get_challenge(challenge_id)
    _editable(actor, challenge)
    if len(challenge.datasets) >= MAX_DATASETS:
        raise ServiceError(_l("A challenge can have at most %(n)d candidate datasets.", n=MAX_DATASETS))
    data = _clean_dataset(data)
    with unit_of_work():
        dataset = CandidateDataset(**_dataset_fields(data), position=len(challenge.datasets))
        challenge.datasets.append(dataset)
        db.session.flush()
        audit.record(actor, "challenge.dataset_added", "challenge", challenge.id, dataset_id=dataset.id, title=data.title)
        _back_to_screening(actor, challenge)
    return dataset


def update_dataset(
    actor: User, challenge_id: int, dataset_id: int, data: DatasetData, expected_version: int | None
) -> CandidateDataset:
    dataset = get_dataset(challenge_id, dataset_id)
    _editable(actor, dataset.challenge)
    check_version(dataset.version, expected_version)
    data = _clean_dataset(data)
    changed = [name for name, new in _dataset_fields(data).items() if getattr(dataset, name) != new]
    for name in changed:
        setattr(dataset, name, getattr(data, name))
    with unit_of_work():
        if changed:
            audit.record(actor, "challenge.dataset_updated", "challenge", challenge_id, dataset_id=dataset.id, fields=changed)
            _back_to_screening(actor, dataset.challenge)
    return dataset


def remove_dataset(actor: User, challenge_id: int, dataset_id: int) -> None:
    dataset = get_dataset(challenge_id, dataset_id)
    challenge = dataset.challenge
    _editable(actor, challenge)
    if challenge.status is not ChallengeStatus.DRAFT and len(challenge.datasets) == 1:
        raise ServiceError(_l("A submitted challenge keeps at least one candidate dataset."))
    with unit_of_work():
        audit.record(actor, "challenge.dataset_removed", "challenge", challenge_id, dataset_id=dataset.id, title=dataset.title)
        challenge.datasets.remove(dataset)
        _back_to_screening(actor, challenge)


# --- co-sponsorship ------------------------------------------------------------------------------------------


def cosponsor(actor: User, challenge_id: int, city_id: int, note: str) -> CoSponsorship:
    challenge = get_challenge(challenge_id)
    _require_staff(actor, city_id)
    if city_id == challenge.city_id:
        raise ServiceError(_l("Your city proposed this challenge; co-sponsoring is for other cities."), "city_id")
    if challenge.status not in OPEN_STATUSES:
        raise ServiceError(_l("Only submitted challenges can be co-sponsored."))
    if any(sponsor.city_id == city_id for sponsor in challenge.cosponsors):
        raise ServiceError(_l("Your city already co-sponsors this challenge."), "city_id")
    note = note.strip()
    if len(note) > 500:
        raise ServiceError(_l("Use at most %(n)d characters.", n=500), "note")
    with unit_of_work(_l("Your city already co-sponsors this challenge."), "city_id"):
        sponsorship = CoSponsorship(city_id=city_id, user=actor, note=note)
        challenge.cosponsors.append(sponsorship)
        audit.record(actor, "challenge.cosponsored", "challenge", challenge.id, city_id=city_id, note=note)
        notifications.notify(
            Kind.COSPONSORED,
            notifications.challenge_followers(challenge) - notifications.city_staff([city_id]),
            f"/challenges/{challenge.id}",
            {"title": challenge.title, "city": db.session.get(City, city_id).name},
            actor,
        )
    return sponsorship


def withdraw_cosponsorship(actor: User, challenge_id: int, city_id: int) -> None:
    challenge = get_challenge(challenge_id)
    _require_staff(actor, city_id)
    sponsorship = next((s for s in challenge.cosponsors if s.city_id == city_id), None)
    if sponsorship is None:
        raise ServiceError(_l("Your city does not co-sponsor this challenge."))
    with unit_of_work():
        audit.record(actor, "challenge.cosponsorship_withdrawn", "challenge", challenge.id, city_id=city_id)
        challenge.cosponsors.remove(sponsorship)


# --- discussion ----------------------------------------------------------------------------------------------


def _clean_body(body: str) -> str:
    body = body.strip()
    if not body:
        raise ServiceError(_l("Write something first."), "body")
    if len(body) > 5_000:
        raise ServiceError(_l("Use at most %(n)d characters.", n=5_000), "body")
    return body


def add_comment(actor: User, challenge_id: int, body: str) -> Comment:
    challenge = get_visible(challenge_id, actor)
    if challenge.status is ChallengeStatus.DRAFT or challenge.status is ChallengeStatus.WITHDRAWN:
        raise ServiceError(_l("The discussion opens when the challenge is submitted."), "body")
    body = _clean_body(body)
    with unit_of_work():
        comment = Comment(author=actor, body=body)
        challenge.comments.append(comment)
        db.session.flush()
        audit.record(actor, "challenge.commented", "challenge", challenge.id, comment_id=comment.id)
        notifications.notify(
            Kind.COMMENT,
            notifications.challenge_followers(challenge),
            f"/challenges/{challenge.id}#comment-{comment.id}",
            {"title": challenge.title, "author": actor.name},
            actor,
        )
    return comment


def get_comment(challenge_id: int, comment_id: int) -> Comment:
    comment = db.session.get(Comment, comment_id)
    if comment is None or comment.challenge_id != challenge_id:
        raise NotFound(_l("This comment does not exist."))
    return comment


def can_edit_comment(user: User | None, comment: Comment, window: timedelta) -> bool:
    return bool(
        user is not None
        and user.is_authenticated
        and comment.author_id == user.id
        and not comment.hidden
        and utcnow() - comment.created_at <= window
    )


def edit_comment(
    actor: User, challenge_id: int, comment_id: int, body: str, expected_version: int | None, window: timedelta
) -> Comment:
    comment = get_comment(challenge_id, comment_id)
    if comment.author_id != actor.id:
        raise Forbidden(_l("You can only edit your own comments."))
    if not can_edit_comment(actor, comment, window):
        raise ServiceError(
            _l("Comments can be edited for %(minutes)d minutes after posting.", minutes=int(window.total_seconds() // 60)), "body"
        )
    check_version(comment.version, expected_version)
    body = _clean_body(body)
    with unit_of_work():
        if body != comment.body:
            comment.body = body
            comment.edited_at = utcnow()
            audit.record(actor, "challenge.comment_edited", "challenge", challenge_id, comment_id=comment.id)
    return comment


def hide_comment(actor: User, challenge_id: int, comment_id: int, reason: str) -> Comment:
    if not actor.is_admin:
        raise Forbidden(_l("Only administrators hide comments."))
    comment = get_comment(challenge_id, comment_id)
    reason = reason.strip()
    if not reason:
        raise ServiceError(_l("Give a reason: it is kept in the audit log."), "reason")
    if len(reason) > 500:
        raise ServiceError(_l("Use at most %(n)d characters.", n=500), "reason")
    with unit_of_work():
        comment.hidden = True
        comment.hidden_reason = reason
        audit.record(
            actor,
            "challenge.comment_hidden",
            "challenge",
            challenge_id,
            comment_id=comment.id,
            reason=reason,
            author_id=comment.author_id,
        )
    return comment
