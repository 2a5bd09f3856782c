"""Use cases for pilot workspaces: the pilot itself and its leads, participating cities and their stages,
milestones (shared or per city) and progress, published datasets and their conformance checks, updates."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, select, update
from sqlalchemy.orm import selectinload

from pilots.conformance import history
from pilots.extensions import db
from pilots.models import (
    AuditEvent,
    City,
    DatasetCheck,
    Milestone,
    MilestoneCity,
    MilestoneStatus,
    Notification,
    ParticipantRole,
    Participation,
    Pilot,
    PilotStatus,
    PilotUpdate,
    PublishedDataset,
    Stage,
    StageChange,
    User,
    utcnow,
)
from pilots.services import audit, catalogue, notifications
from pilots.services.challenges import url_problem
from pilots.services.errors import Forbidden, NotFound, ServiceError
from pilots.services.notifications import Kind
from pilots.services.transaction import check_version, unit_of_work
from pilots.vocabularies import FILE_TYPES, FREQUENCIES, LICENCES, OPEN_LICENCES, THEMES

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


# --- reading ---------------------------------------------------------------------------------------------------


#: The programme's calendar: dates that people enter or see are Brussels dates.
PROGRAMME_TIMEZONE = ZoneInfo("Europe/Brussels")


def today() -> date:
    """Today in Flanders (between midnight and 01:00 or 02:00 the UTC date is still yesterday's)."""
    return utcnow().astimezone(PROGRAMME_TIMEZONE).date()


def get_pilot(pilot_id: int) -> Pilot:
    pilot = db.session.scalar(
        select(Pilot)
        .where(Pilot.id == pilot_id)
        .options(
            selectinload(Pilot.leads),
            selectinload(Pilot.participants).selectinload(Participation.stage_changes),
            selectinload(Pilot.milestones).selectinload(Milestone.city_statuses),
            selectinload(Pilot.datasets).selectinload(PublishedDataset.checks),
            selectinload(Pilot.updates),
        )
    )
    if pilot is None:
        raise NotFound(_l("This pilot does not exist."))
    return pilot


def list_query(status: str | None = None, year: int | None = None, city: str | None = None) -> Select:
    query = select(Pilot).options(
        selectinload(Pilot.participants), selectinload(Pilot.milestones).selectinload(Milestone.city_statuses)
    )
    if status in PilotStatus._value2member_map_:
        query = query.where(Pilot.status == status)
    if year:
        from pilots.models import Round

        query = query.where(Pilot.round_id.in_(select(Round.id).where(Round.year == year)))
    if city:
        query = query.where(Pilot.participants.any(Participation.city.has(City.slug == city)))
    return query.order_by(Pilot.start_date.desc().nulls_last(), Pilot.id.desc())


def is_lead(user: User | None, pilot: Pilot) -> bool:
    return bool(user and user.is_authenticated and any(lead.id == user.id for lead in pilot.leads))


def can_manage(user: User | None, pilot: Pilot) -> bool:
    """Steering committee and the pilot's leads run the workspace."""
    return bool(user and user.is_authenticated and (user.is_steering or is_lead(user, pilot)))


def lead_pilot_ids(user_id: int) -> set[int]:
    from pilots.models.pilot import pilot_leads

    return set(db.session.scalars(select(pilot_leads.c.pilot_id).where(pilot_leads.c.user_id == user_id)))


def _require_manager(actor: User, pilot: Pilot) -> None:
    if not can_manage(actor, pilot):
        raise Forbidden(_l("Only the pilot's leads and the steering committee manage this."))


def milestone_progress(milestone: Milestone) -> float:
    """Done is 1; a per-city milestone counts the share of its cities that are done."""
    if milestone.per_city:
        statuses = milestone.city_statuses
        return sum(s.status is MilestoneStatus.DONE for s in statuses) / len(statuses) if statuses else 0.0
    return 1.0 if milestone.status is MilestoneStatus.DONE else 0.0


def pilot_progress(pilot: Pilot) -> int:
    """The weighted average of the milestones' progress, in percent."""
    total = sum(m.weight for m in pilot.milestones)
    if not total:
        return 100 if pilot.status is PilotStatus.COMPLETED else 0
    return round(100 * sum(m.weight * milestone_progress(m) for m in pilot.milestones) / total)


def is_overdue(milestone: Milestone, on: date | None = None) -> bool:
    return milestone.due_date < (on or today()) and milestone_progress(milestone) < 1


def activity(pilot_id: int, limit: int = 30) -> list[AuditEvent]:
    return list(
        db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.object_type == "pilot", AuditEvent.object_id == str(pilot_id))
            .order_by(AuditEvent.id.desc())
            .limit(limit)
        )
    )


# --- the pilot ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PilotData:
    title: str
    goal: str = ""
    lead_city_id: int | None = None
    status: PilotStatus = PilotStatus.PLANNED
    start_date: date | None = None
    end_date: date | None = None


def _clean_pilot(data: PilotData) -> PilotData:
    title = data.title.strip()
    if not title:
        raise ServiceError(_l("Give the pilot a title."), "title")
    if len(title) > 160:
        raise ServiceError(_l("Use at most %(n)d characters.", n=160), "title")
    if data.start_date and data.end_date and data.end_date < data.start_date:
        raise ServiceError(_l("The end comes after the start."), "end_date")
    if data.lead_city_id and db.session.get(City, data.lead_city_id) is None:
        raise ServiceError(_l("Choose a city from the list."), "lead_city_id")
    return PilotData(
        title, data.goal.strip()[:10_000], data.lead_city_id or None, PilotStatus(data.status), data.start_date, data.end_date
    )


def create_pilot(actor: User | None, data: PilotData) -> Pilot:
    if actor is not None and not actor.is_steering:
        raise Forbidden(_l("Only the steering committee creates pilots directly."))
    data = _clean_pilot(data)
    with unit_of_work():
        pilot = Pilot(**asdict(data))
        db.session.add(pilot)
        db.session.flush()
        if data.lead_city_id:
            _add_participation(pilot, data.lead_city_id, ParticipantRole.LEAD, accepted=True, stage=Stage.COMMITTED)
        audit.record(actor, "pilot.created", "pilot", pilot.id, title=data.title)
    return pilot


def update_pilot(actor: User, pilot_id: int, data: PilotData, expected_version: int | None) -> Pilot:
    pilot = get_pilot(pilot_id)
    _require_manager(actor, pilot)
    check_version(pilot.version, expected_version)
    data = _clean_pilot(data)
    changed = [name for name, new in asdict(data).items() if getattr(pilot, name) != new]
    for name in changed:
        setattr(pilot, name, getattr(data, name))
    with unit_of_work():
        if changed:
            pilot.version += 1
            audit.record(actor, "pilot.updated", "pilot", pilot.id, fields=changed)
    return pilot


def add_lead(actor: User, pilot_id: int, email: str) -> User:
    pilot = get_pilot(pilot_id)
    _require_manager(actor, pilot)
    user = db.session.scalar(select(User).where(User.email == email.strip().lower(), User.active.is_(True)))
    if user is None:
        raise ServiceError(_l("No active account has this email address."), "email")
    if any(lead.id == user.id for lead in pilot.leads):
        raise ServiceError(_l("This person already leads the pilot."), "email")
    with unit_of_work():
        pilot.leads.append(user)
        audit.record(actor, "pilot.lead_added", "pilot", pilot.id, user=user.email)
    return user


def remove_lead(actor: User, pilot_id: int, user_id: int) -> None:
    pilot = get_pilot(pilot_id)
    _require_manager(actor, pilot)
    lead = next((u for u in pilot.leads if u.id == user_id), None)
    if lead is None:
        raise NotFound(_l("This person does not lead the pilot."))
    with unit_of_work():
        pilot.leads.remove(lead)
        audit.record(actor, "pilot.lead_removed", "pilot", pilot.id, user=lead.email)


def post_update(actor: User, pilot_id: int, body: str) -> PilotUpdate:
    pilot = get_pilot(pilot_id)
    _require_manager(actor, pilot)
    body = body.strip()
    if not body:
        raise ServiceError(_l("Write something first."), "body")
    if len(body) > 5000:
        raise ServiceError(_l("Use at most %(n)d characters.", n=5000), "body")
    with unit_of_work():
        update = PilotUpdate(author=actor, body=body)
        pilot.updates.append(update)
        audit.record(actor, "pilot.update_posted", "pilot", pilot.id)
        notifications.notify(
            Kind.PILOT_UPDATE,
            notifications.pilot_followers(pilot),
            f"/pilots/{pilot.id}#activity",
            {"author": actor.name, "pilot": pilot.title},
            actor,
        )
    return update


# --- participating cities ---------------------------------------------------------------------------------------


def _add_participation(pilot: Pilot, city_id: int, role: ParticipantRole, accepted: bool, stage: Stage) -> Participation:
    participation = Participation(city_id=city_id, role=role, accepted=accepted, stage=stage)
    participation.stage_changes.append(StageChange(stage=stage, changed_on=today()))
    pilot.participants.append(participation)
    if accepted:
        _add_city_rows(pilot, participation)
    return participation


def _add_city_rows(pilot: Pilot, participation: Participation) -> None:
    """Per-city milestones get a row for every accepted city that takes part (observers only watch)."""
    if participation.role is ParticipantRole.OBSERVER:
        return
    for milestone in pilot.milestones:
        if milestone.per_city and not any(s.city_id == participation.city_id for s in milestone.city_statuses):
            milestone.city_statuses.append(MilestoneCity(city_id=participation.city_id))
            _roll_up(milestone)  # a finished milestone is open again for the city that joined


def _roll_up(milestone: Milestone) -> None:
    """A per-city milestone's own status follows its cities: done when all are, blocked when one is."""
    statuses = {s.status for s in milestone.city_statuses}
    if statuses == {MilestoneStatus.DONE}:
        milestone.status = MilestoneStatus.DONE
    elif MilestoneStatus.BLOCKED in statuses:
        milestone.status = MilestoneStatus.BLOCKED
    elif statuses - {MilestoneStatus.PLANNED}:
        milestone.status = MilestoneStatus.IN_PROGRESS
    else:
        milestone.status = MilestoneStatus.PLANNED
    done = [s.completed_on for s in milestone.city_statuses if s.completed_on]
    milestone.completed_on = max(done) if milestone.status is MilestoneStatus.DONE and done else None


def _participation(pilot: Pilot, participation_id: int) -> Participation:
    participation = next((p for p in pilot.participants if p.id == participation_id), None)
    if participation is None:
        raise NotFound(_l("This city does not take part in the pilot."))
    return participation


def request_to_join(actor: User, pilot_id: int, city_id: int, role: ParticipantRole) -> Participation:
    """A city's staff ask to join; the pilot's lead accepts."""
    pilot = get_pilot(pilot_id)
    if not actor.is_staff_of(city_id):
        raise Forbidden(_l("You can only act for your own city."))
    if any(p.city_id == city_id for p in pilot.participants):
        raise ServiceError(_l("This city already takes part in the pilot (or asked to)."), "city_id")
    if role is ParticipantRole.LEAD:
        raise ServiceError(_l("Choose participant or observer."), "role")
    with unit_of_work(_l("This city already takes part in the pilot (or asked to)."), "city_id"):
        participation = _add_participation(pilot, city_id, role, accepted=False, stage=Stage.INTERESTED)
        db.session.flush()
        audit.record(actor, "pilot.join_requested", "pilot", pilot.id, city_id=city_id, role=role.value)
        notifications.notify(
            Kind.JOIN_REQUESTED,
            {lead.id for lead in pilot.leads},
            f"/pilots/{pilot.id}#cities",
            {"city": participation.city.name, "pilot": pilot.title},
            actor,
        )
    return participation


def invite_city(actor: User, pilot_id: int, city_id: int, role: ParticipantRole) -> Participation:
    """The lead adds a city directly (it is accepted at once)."""
    pilot = get_pilot(pilot_id)
    _require_manager(actor, pilot)
    if db.session.get(City, city_id) is None:
        raise ServiceError(_l("Choose a city from the list."), "city_id")
    if any(p.city_id == city_id for p in pilot.participants):
        raise ServiceError(_l("This city already takes part in the pilot (or asked to)."), "city_id")
    with unit_of_work(_l("This city already takes part in the pilot (or asked to)."), "city_id"):
        participation = _add_participation(pilot, city_id, role, accepted=True, stage=Stage.INTERESTED)
        db.session.flush()
        audit.record(actor, "pilot.city_invited", "pilot", pilot.id, city_id=city_id, role=role.value)
    return participation


def accept(actor: User, pilot_id: int, participation_id: int) -> Participation:
    pilot = get_pilot(pilot_id)
    _require_manager(actor, pilot)
    participation = _participation(pilot, participation_id)
    if participation.accepted:
        return participation
    with unit_of_work():
        participation.accepted = True
        _add_city_rows(pilot, participation)
        audit.record(actor, "pilot.city_accepted", "pilot", pilot.id, city_id=participation.city_id)
        notifications.notify(
            Kind.JOIN_ACCEPTED,
            notifications.city_staff([participation.city_id]),
            f"/pilots/{pilot.id}",
            {"city": participation.city.name, "pilot": pilot.title},
            actor,
        )
    return participation


def set_role(actor: User, pilot_id: int, participation_id: int, role: ParticipantRole) -> Participation:
    pilot = get_pilot(pilot_id)
    _require_manager(actor, pilot)
    participation = _participation(pilot, participation_id)
    with unit_of_work():
        audit.record(
            actor,
            "pilot.role_changed",
            "pilot",
            pilot.id,
            city_id=participation.city_id,
            role={"from": participation.role.value, "to": role.value},
        )
        participation.role = role
        if participation.accepted:
            _add_city_rows(pilot, participation)
    return participation


def set_stage(actor: User, pilot_id: int, participation_id: int, stage: Stage, on: date | None = None) -> Participation:
    """A city moves through interested → committed → publishing → published (or withdraws), with the date."""
    pilot = get_pilot(pilot_id)
    participation = _participation(pilot, participation_id)
    if not (actor.is_staff_of(participation.city_id) or can_manage(actor, pilot)):
        raise Forbidden(_l("You can only act for your own city."))
    if not participation.accepted:
        raise ServiceError(_l("The pilot's lead has not accepted this city yet."), "stage")
    on = on or today()
    if on > today():
        raise ServiceError(_l("The date cannot be in the future."), "changed_on")
    last = participation.stage_changes[-1].changed_on if participation.stage_changes else None
    if last and on < last:
        raise ServiceError(_l("The date cannot be before the previous change (%(date)s).", date=last.isoformat()), "changed_on")
    if stage is participation.stage:
        return participation
    with unit_of_work():
        audit.record(
            actor,
            "pilot.stage_changed",
            "pilot",
            pilot.id,
            city_id=participation.city_id,
            stage={"from": participation.stage.value, "to": stage.value},
            on=on.isoformat(),
        )
        participation.stage = stage
        participation.stage_changes.append(StageChange(stage=stage, changed_on=on))
    return participation


# --- milestones -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MilestoneData:
    title: str
    due_date: date
    description: str = ""
    start_date: date | None = None
    per_city: bool = False
    weight: float = 1.0


def _clean_milestone(data: MilestoneData) -> MilestoneData:
    title = data.title.strip()
    if not title:
        raise ServiceError(_l("Give the milestone a title."), "title")
    if len(title) > 160:
        raise ServiceError(_l("Use at most %(n)d characters.", n=160), "title")
    if data.start_date and data.start_date > data.due_date:
        raise ServiceError(_l("The due date comes after the start."), "due_date")
    if not 0 < data.weight <= 100:
        raise ServiceError(_l("A weight is a number above 0 and at most 100."), "weight")
    return MilestoneData(
        title, data.due_date, data.description.strip()[:5000], data.start_date, data.per_city, float(data.weight)
    )


def add_milestone(actor: User, pilot_id: int, data: MilestoneData) -> Milestone:
    pilot = get_pilot(pilot_id)
    _require_manager(actor, pilot)
    data = _clean_milestone(data)
    with unit_of_work():
        milestone = Milestone(**asdict(data))
        if data.per_city:
            for participation in pilot.participants:
                if participation.accepted and participation.role is not ParticipantRole.OBSERVER:
                    milestone.city_statuses.append(MilestoneCity(city_id=participation.city_id))
        pilot.milestones.append(milestone)
        db.session.flush()
        audit.record(
            actor, "pilot.milestone_added", "pilot", pilot.id, milestone_id=milestone.id, title=data.title, per_city=data.per_city
        )
    return milestone


def _milestone(pilot: Pilot, milestone_id: int) -> Milestone:
    milestone = next((m for m in pilot.milestones if m.id == milestone_id), None)
    if milestone is None:
        raise NotFound(_l("This milestone does not exist."))
    return milestone


def update_milestone(
    actor: User, pilot_id: int, milestone_id: int, data: MilestoneData, expected_version: int | None
) -> Milestone:
    pilot = get_pilot(pilot_id)
    _require_manager(actor, pilot)
    milestone = _milestone(pilot, milestone_id)
    check_version(milestone.version, expected_version)
    data = _clean_milestone(data)
    if data.per_city != milestone.per_city:
        raise ServiceError(_l("A milestone stays shared or per city; add a new one instead."), "per_city")
    changed = [name for name, new in asdict(data).items() if getattr(milestone, name) != new]
    for name in changed:
        setattr(milestone, name, getattr(data, name))
    with unit_of_work():
        if changed:
            audit.record(actor, "pilot.milestone_updated", "pilot", pilot.id, milestone_id=milestone.id, fields=changed)
    return milestone


def set_milestone_status(
    actor: User,
    pilot_id: int,
    milestone_id: int,
    status: MilestoneStatus,
    city_id: int | None = None,
    reason: str = "",
    completed_on: date | None = None,
) -> Milestone:
    """Shared milestones: the leads set the status. Per city: each city sets its own (the leads may set any)."""
    pilot = get_pilot(pilot_id)
    milestone = _milestone(pilot, milestone_id)
    reason = reason.strip()
    if status is MilestoneStatus.BLOCKED and not reason:
        raise ServiceError(_l("Say what blocks it."), "reason")
    if len(reason) > 500:
        raise ServiceError(_l("Use at most %(n)d characters.", n=500), "reason")
    completed_on = completed_on or today() if status is MilestoneStatus.DONE else None
    if completed_on and completed_on > today():
        raise ServiceError(_l("The date cannot be in the future."), "completed_on")
    if milestone.per_city:
        row = next((s for s in milestone.city_statuses if s.city_id == city_id), None)
        if row is None:
            raise ServiceError(_l("This city does not take part in this milestone."), "city_id")
        if not (actor.is_staff_of(row.city_id) or can_manage(actor, pilot)):
            raise Forbidden(_l("You can only act for your own city."))
        target: Any = row
    else:
        _require_manager(actor, pilot)
        target = milestone
    with unit_of_work():
        audit.record(
            actor,
            "pilot.milestone_status",
            "pilot",
            pilot.id,
            milestone_id=milestone.id,
            city_id=city_id,
            status={"from": target.status.value, "to": status.value},
            reason=reason or None,
        )
        target.status = status
        target.blocked_reason = reason if status is MilestoneStatus.BLOCKED else None
        target.completed_on = completed_on
        if milestone.per_city:
            _roll_up(milestone)
    return milestone


# --- published datasets ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DatasetData:
    title_nl: str
    access_url: str
    contact_email: str
    theme: str
    file_type: str
    licence: str
    title_en: str = ""
    description_nl: str = ""
    description_en: str = ""
    keywords: str = ""
    download_url: str | None = None
    conforms_to: str | None = None
    frequency: str = "UNKNOWN"
    realtime: bool = False
    issued: date | None = None
    language: str = "nl"


def _clean_dataset(data: DatasetData) -> DatasetData:
    title = data.title_nl.strip()
    if not title:
        raise ServiceError(_l("Give the dataset a Dutch title."), "title_nl")
    for field in ("title_nl", "title_en"):
        if len(getattr(data, field)) > 200:
            raise ServiceError(_l("Use at most %(n)d characters.", n=200), field)
    for field in ("access_url", "download_url"):
        value = (getattr(data, field) or "").strip()
        if field == "access_url" and not value:
            raise ServiceError(_l("Enter the web address where the data can be reached."), field)
        if value and (problem := url_problem(value)):
            raise ServiceError(problem, field)
    email = data.contact_email.strip().lower()
    if not EMAIL_RE.match(email) or len(email) > 254:
        raise ServiceError(_l("Enter a valid email address."), "contact_email")
    for field, allowed in (("theme", THEMES), ("file_type", FILE_TYPES), ("licence", LICENCES), ("frequency", FREQUENCIES)):
        if getattr(data, field) not in allowed:
            raise ServiceError(_l("Choose a value from the list."), field)
    if data.licence not in OPEN_LICENCES:
        raise ServiceError(_l("A published dataset needs an open licence."), "licence")
    if data.issued and data.issued > today():
        raise ServiceError(_l("The date cannot be in the future."), "issued")
    if data.language not in ("nl", "en", "fr", "de"):
        raise ServiceError(_l("Choose a value from the list."), "language")
    keywords = ", ".join(k.strip() for k in data.keywords.split(",") if k.strip())[:500]
    return DatasetData(
        title_nl=title,
        access_url=data.access_url.strip(),
        contact_email=email,
        theme=data.theme,
        file_type=data.file_type,
        licence=data.licence,
        title_en=data.title_en.strip(),
        description_nl=data.description_nl.strip()[:10_000],
        description_en=data.description_en.strip()[:10_000],
        keywords=keywords,
        download_url=(data.download_url or "").strip() or None,
        conforms_to=(data.conforms_to or "").strip()[:200] or None,
        frequency=data.frequency,
        realtime=bool(data.realtime),
        issued=data.issued,
        language=data.language,
    )


def _require_publisher(actor: User, pilot: Pilot, city_id: int) -> None:
    participation = next((p for p in pilot.participants if p.city_id == city_id), None)
    if participation is None or not participation.accepted:
        raise ServiceError(_l("This city does not take part in the pilot."), "city_id")
    if not (actor.is_staff_of(city_id) or can_manage(actor, pilot)):
        raise Forbidden(_l("You can only act for your own city."))


def add_dataset(actor: User, pilot_id: int, city_id: int, data: DatasetData) -> PublishedDataset:
    pilot = get_pilot(pilot_id)
    _require_publisher(actor, pilot, city_id)
    data = _clean_dataset(data)
    with unit_of_work():
        dataset = PublishedDataset(**asdict(data), city_id=city_id, modified=utcnow())
        pilot.datasets.append(dataset)
        db.session.flush()
        audit.record(actor, "pilot.dataset_added", "pilot", pilot.id, dataset_id=dataset.id, city_id=city_id, title=data.title_nl)
        catalogue.warm_later()
    return dataset


def _dataset(pilot: Pilot, dataset_id: int) -> PublishedDataset:
    dataset = next((d for d in pilot.datasets if d.id == dataset_id), None)
    if dataset is None:
        raise NotFound(_l("This dataset does not exist."))
    return dataset


def update_dataset(
    actor: User, pilot_id: int, dataset_id: int, data: DatasetData, expected_version: int | None
) -> PublishedDataset:
    pilot = get_pilot(pilot_id)
    dataset = _dataset(pilot, dataset_id)
    _require_publisher(actor, pilot, dataset.city_id)
    check_version(dataset.version, expected_version)
    data = _clean_dataset(data)
    changed = [name for name, new in asdict(data).items() if getattr(dataset, name) != new]
    for name in changed:
        setattr(dataset, name, getattr(data, name))
    with unit_of_work():
        if changed:
            dataset.modified = utcnow()
            audit.record(actor, "pilot.dataset_updated", "pilot", pilot.id, dataset_id=dataset.id, fields=changed)
            catalogue.warm_later()
    return dataset


#: checker(access URL, real-time?, declared update frequency) -> the report (pilots.jobs.tasks.run_checker).
Checker = Callable[[str, bool, str | None], dict[str, Any]]

#: How long a requested check counts as under way; after that (a worker that died, say) it may be asked again.
CHECK_PENDING_FOR = timedelta(minutes=5)
QUEUE_DOWN = _l("The check could not be started: the background queue does not answer. Try again in a few minutes.")


def can_check_dataset(user: User | None, pilot: Pilot, dataset: PublishedDataset) -> bool:
    """The publishing city's staff, the pilot's leads and the steering committee run its checks."""
    return bool(user and user.is_authenticated and (user.is_staff_of(dataset.city_id) or can_manage(user, pilot)))


def check_pending(dataset: PublishedDataset) -> bool:
    """A check was asked for and no worker has finished it yet."""
    requested = dataset.check_requested_at
    return requested is not None and requested > utcnow() - CHECK_PENDING_FOR


def _mark_requested(dataset_id: int, when: datetime | None) -> None:
    db.session.execute(
        update(PublishedDataset.__table__).where(PublishedDataset.__table__.c.id == dataset_id).values(check_requested_at=when)
    )


def request_check(actor: User, pilot_id: int, dataset_id: int) -> bool:
    """Ask a worker to check the dataset; False when a check is already under way. The request never waits on
    the remote server: the fetch and the parsing happen in the background (``pilots.jobs.tasks.check_dataset``)."""
    from pilots.jobs import QueueUnavailable, enqueue

    pilot = get_pilot(pilot_id)
    dataset = _dataset(pilot, dataset_id)
    if not can_check_dataset(actor, pilot, dataset):
        raise Forbidden(_l("Only the publishing city, the pilot's leads and the steering committee check datasets."))
    if check_pending(dataset):
        return False
    with unit_of_work():
        _mark_requested(dataset.id, utcnow())
        audit.record(actor, "pilot.dataset_check_requested", "pilot", pilot.id, dataset_id=dataset.id)
    try:
        enqueue("check_dataset", dataset.id, actor.id)
    except QueueUnavailable:
        with unit_of_work():
            _mark_requested(dataset.id, None)
        raise ServiceError(QUEUE_DOWN) from None
    return True


def run_requested_check(dataset_id: int, actor_id: int | None, checker: Checker) -> bool | None:
    """A worker's half of :func:`request_check`: the check, stored. None when the dataset is gone meanwhile."""
    dataset = db.session.get(PublishedDataset, dataset_id)
    if dataset is None:
        return None
    actor = db.session.get(User, actor_id) if actor_id is not None else None
    return check_dataset(actor, dataset.pilot_id, dataset_id, checker).passed


def check_dataset(actor: User | None, pilot_id: int, dataset_id: int, checker: Checker) -> DatasetCheck:
    """Run the conformance checker on the dataset's access URL and keep the result. The fetch happens
    before the transaction, so a slow endpoint holds no database lock."""
    pilot = get_pilot(pilot_id)
    dataset = _dataset(pilot, dataset_id)
    if actor is not None and not can_check_dataset(actor, pilot, dataset):
        raise Forbidden(_l("Only the publishing city, the pilot's leads and the steering committee check datasets."))
    report = checker(dataset.access_url, dataset.realtime, dataset.frequency)
    earlier = db.session.scalars(
        select(DatasetCheck.report).where(DatasetCheck.dataset_id == dataset.id).order_by(DatasetCheck.id.desc()).limit(2)
    ).all()
    with unit_of_work():
        check = DatasetCheck(passed=bool(report.get("passed")), report=report, checked_by_id=actor.id if actor else None)
        dataset.checks.insert(0, check)
        _mark_requested(dataset.id, None)
        _notify_check_change(pilot, dataset, history.change([report, *earlier]))
        audit.record(
            actor,
            "pilot.dataset_checked",
            "pilot",
            pilot.id,
            dataset_id=dataset.id,
            passed=check.passed,
            limit=report.get("limit"),
        )
    return check


def latest_check_id():
    """The id of a published dataset's last check (latest ``checked_at``, then highest id), as a subquery
    correlated to ``PublishedDataset``: join ``DatasetCheck`` on it for each dataset's current verdict."""
    return (
        select(DatasetCheck.id)
        .where(DatasetCheck.dataset_id == PublishedDataset.id)
        .order_by(DatasetCheck.checked_at.desc(), DatasetCheck.id.desc())
        .limit(1)
        .correlate(PublishedDataset)
        .scalar_subquery()
    )


def monitoring_targets() -> list[tuple[int, str]]:
    """(id, access URL) of every published dataset, for the nightly monitoring pass."""
    rows = db.session.execute(select(PublishedDataset.id, PublishedDataset.access_url).order_by(PublishedDataset.id))
    return [(dataset_id, url) for dataset_id, url in rows]


#: How many days ahead a milestone's responsible cities and the pilot's leads hear that it is due.
MILESTONE_NOTICE_DAYS = 7


def milestone_cities(milestone: Milestone) -> set[int]:
    """The cities that answer for a milestone that is not done: each city whose part is not done (a per-city
    milestone), or the pilot's lead city (a shared one)."""
    if milestone.per_city:
        return {row.city_id for row in milestone.city_statuses if row.status is not MilestoneStatus.DONE}
    return {milestone.pilot.lead_city_id} - {None}


def remind_milestones(on: date) -> int:
    """The daily job: a milestone of a planned or active pilot that is not done is announced when it is due
    within MILESTONE_NOTICE_DAYS, and again once it is overdue, once per recipient and due date (a milestone that
    is moved is announced anew). Returns how many notifications were added."""
    milestones = db.session.scalars(
        select(Milestone)
        .join(Pilot)
        .where(
            Pilot.status.in_((PilotStatus.PLANNED, PilotStatus.ACTIVE)),
            Milestone.status != MilestoneStatus.DONE,
            Milestone.due_date <= on + timedelta(days=MILESTONE_NOTICE_DAYS),
        )
        .options(selectinload(Milestone.city_statuses), selectinload(Milestone.pilot).selectinload(Pilot.leads))
        .order_by(Milestone.id)
    ).all()
    kinds = (Kind.MILESTONE_DUE.value, Kind.MILESTONE_OVERDUE.value)
    links = {m.id: f"/pilots/{m.pilot_id}#milestone-{m.id}" for m in milestones}
    told = {
        (kind, link, user_id, (params or {}).get("due"))
        for kind, link, user_id, params in db.session.execute(
            select(Notification.kind, Notification.link, Notification.user_id, Notification.params).where(
                Notification.kind.in_(kinds), Notification.link.in_(links.values())
            )
        )
    }
    staff = notifications.staff_by_city(city_id for m in milestones for city_id in milestone_cities(m))
    added = 0
    with unit_of_work():
        for milestone in milestones:
            kind = Kind.MILESTONE_OVERDUE if milestone.due_date < on else Kind.MILESTONE_DUE
            link, due = links[milestone.id], milestone.due_date.isoformat()
            answerable = {lead.id for lead in milestone.pilot.leads}.union(*(staff[c] for c in milestone_cities(milestone)))
            recipients = {user_id for user_id in answerable if (kind.value, link, user_id, due) not in told}
            params = {"milestone": milestone.title, "pilot": milestone.pilot.title, "due": due}
            if count := notifications.notify(kind, recipients, link, params):
                audit.record(
                    None, "pilot.milestone_reminded", "pilot", milestone.pilot_id, milestone_id=milestone.id, kind=kind.value
                )
                added += count
    return added


def _notify_check_change(pilot: Pilot, dataset: PublishedDataset, change: history.Change) -> None:
    """The same check failing on two runs in a row, and the recovery after it, reach the publishing city's staff
    and the pilot's leads, once each."""
    if not change.newly_failing and not change.recovered:
        return
    recipients = notifications.city_staff([dataset.city_id]) | {lead.id for lead in pilot.leads}
    params = {"title_nl": dataset.title_nl, "title_en": dataset.title_en, "city": dataset.city.name}
    link = f"/pilots/{pilot.id}/datasets/{dataset.id}/history"
    if change.newly_failing:
        notifications.notify(Kind.DATASET_FAILING, recipients, link, {**params, "checks": sorted(change.newly_failing)})
    else:
        notifications.notify(Kind.DATASET_RECOVERED, recipients, link, params)


def all_dataset_ids() -> list[tuple[int, int]]:
    rows = db.session.execute(select(PublishedDataset.pilot_id, PublishedDataset.id).order_by(PublishedDataset.id))
    return [(pilot_id, dataset_id) for pilot_id, dataset_id in rows]


def start_from_challenge(pilot: Pilot, challenge) -> None:
    """A selected challenge's pilot starts with its proposing city as lead and its co-sponsors invited.
    Called inside the caller's unit of work."""
    _add_participation(pilot, challenge.city_id, ParticipantRole.LEAD, accepted=True, stage=Stage.COMMITTED)
    for sponsorship in challenge.cosponsors:
        _add_participation(pilot, sponsorship.city_id, ParticipantRole.PARTICIPANT, accepted=True, stage=Stage.INTERESTED)
