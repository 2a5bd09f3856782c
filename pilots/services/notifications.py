"""Notifications: who hears of what, how (in the app always; by e-mail at once or in a daily digest), follows.

Services that decide something call :func:`notify` inside their unit of work with the users it concerns; the
rows are stored with that decision, and the e-mails of those who want them at once are queued after the
commit (``send_notification_emails``). A kind's recipients are chosen by the service that knows the rule
(:func:`challenge_followers`, :func:`pilot_followers`, :func:`round_followers`, :func:`city_staff`,
:func:`city_voters`, …), and only ever about what its recipients may see: a challenge is followed once it is
submitted, a ballot's notifications go to its own city's voters, results once they are published.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

from flask import current_app
from flask_babel import format_date, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select, update

from pilots import jobs, mail
from pilots.extensions import db
from pilots.models import (
    Challenge,
    CityRole,
    Delivery,
    Follow,
    Membership,
    Notification,
    NotificationPreference,
    Pilot,
    Round,
    User,
    utcnow,
)
from pilots.models.challenge import PUBLIC_STATUSES
from pilots.services import audit
from pilots.services.errors import NotFound, ServiceError
from pilots.services.transaction import after_commit, unit_of_work

log = logging.getLogger(__name__)


class Kind(StrEnum):
    PROPOSALS_OPEN = "proposals_open"
    VOTING_OPEN = "voting_open"
    VOTING_REMINDER = "voting_reminder"
    RESULTS_PUBLISHED = "results_published"
    CHALLENGE_SCREENED = "challenge_screened"
    COMMENT = "comment"
    COSPONSORED = "cosponsored"
    JOIN_REQUESTED = "join_requested"
    JOIN_ACCEPTED = "join_accepted"
    DATASET_FAILING = "dataset_failing"
    DATASET_RECOVERED = "dataset_recovered"
    PILOT_UPDATE = "pilot_update"
    MILESTONE_DUE = "milestone_due"
    MILESTONE_OVERDUE = "milestone_overdue"


@dataclass(frozen=True)
class KindInfo:
    label: Any  # a lazy text: the preferences page's row
    text: Callable[[dict[str, Any]], str]  # the notification's sentence, in the current language
    default: Delivery = Delivery.IMMEDIATELY


def _long_date(iso: str) -> str:
    return format_date(date.fromisoformat(iso), "long")


KINDS: dict[Kind, KindInfo] = {
    Kind.PROPOSALS_OPEN: KindInfo(
        _l("A round opens for proposals"),
        lambda p: (
            _(
                "Cities can propose challenges for %(year)s until %(deadline)s.",
                year=p["year"],
                deadline=_long_date(p["deadline"]),
            )
            if p.get("deadline")
            else _("Cities can propose challenges for %(year)s.", year=p["year"])
        ),
    ),
    Kind.VOTING_OPEN: KindInfo(
        _l("Voting opens"),
        lambda p: _("Voting on the %(year)s challenges is open: the ballot of %(city)s is waiting.", **p),
    ),
    Kind.VOTING_REMINDER: KindInfo(
        _l("Your city's ballot is not submitted and voting closes soon"),
        lambda p: _(
            "The ballot of %(city)s for %(year)s is not submitted yet: voting closes on %(deadline)s.",
            city=p["city"],
            year=p["year"],
            deadline=_long_date(p["deadline"]),
        ),
    ),
    Kind.RESULTS_PUBLISHED: KindInfo(
        _l("Results are published"), lambda p: _("The results of the %(year)s round are published.", **p)
    ),
    Kind.CHALLENGE_SCREENED: KindInfo(
        _l("Your city's challenge is screened"),
        lambda p: (
            _("%(title)s is eligible for the vote.", **p)
            if p.get("eligible")
            else _("%(title)s is not eligible for the vote; the reason is on its page.", **p)
        ),
    ),
    Kind.COMMENT: KindInfo(
        _l("A comment on a challenge you follow"),
        lambda p: _("%(author)s commented on %(title)s.", **p),
        Delivery.DAILY,
    ),
    Kind.COSPONSORED: KindInfo(
        _l("A city co-sponsors a challenge you follow"), lambda p: _("%(city)s co-sponsors %(title)s.", **p)
    ),
    Kind.JOIN_REQUESTED: KindInfo(
        _l("A city asks to join your pilot"), lambda p: _("%(city)s asks to join the pilot %(pilot)s.", **p)
    ),
    Kind.JOIN_ACCEPTED: KindInfo(
        _l("Your city is accepted in a pilot"), lambda p: _("%(city)s takes part in the pilot %(pilot)s now.", **p)
    ),
    Kind.DATASET_FAILING: KindInfo(
        _l("A published dataset fails a check twice in a row"),
        lambda p: _(
            "%(title)s of %(city)s failed the same checks on two runs in a row: %(checks)s.",
            title=_in_language(p, "title"),
            city=p["city"],
            checks=", ".join(p["checks"]),
        ),
    ),
    Kind.DATASET_RECOVERED: KindInfo(
        _l("A failing dataset passes again"),
        lambda p: _("%(title)s of %(city)s passes its checks again.", title=_in_language(p, "title"), city=p["city"]),
    ),
    Kind.PILOT_UPDATE: KindInfo(
        _l("An update in a pilot you follow"),
        lambda p: _("%(author)s posted an update in the pilot %(pilot)s.", **p),
        Delivery.DAILY,
    ),
    Kind.MILESTONE_DUE: KindInfo(
        _l("A milestone is due within a week"),
        lambda p: _(
            "%(milestone)s of the pilot %(pilot)s is due on %(due)s.",
            milestone=p["milestone"],
            pilot=p["pilot"],
            due=_long_date(p["due"]),
        ),
    ),
    Kind.MILESTONE_OVERDUE: KindInfo(
        _l("A milestone is overdue"),
        lambda p: _(
            "%(milestone)s of the pilot %(pilot)s was due on %(due)s and is not done.",
            milestone=p["milestone"],
            pilot=p["pilot"],
            due=_long_date(p["due"]),
        ),
    ),
}

KIND_VALUES = frozenset(kind.value for kind in Kind)

#: A notification meant for e-mail at once that is still unsent after this long goes into the next digest
#: (the queue or the mail server was down): nothing is lost.
MISSED_AFTER = timedelta(hours=1)


def _in_language(params: dict[str, Any], name: str) -> str:
    """A name stored in both languages (``<name>_nl``, ``<name>_en``), in the reader's."""
    english = str(get_locale() or "nl") == "en"
    return (params.get(f"{name}_en") if english else None) or params.get(f"{name}_nl") or ""


def text(notification: Notification) -> str:
    """The notification's sentence in the current language."""
    try:
        return KINDS[Kind(notification.kind)].text(notification.params)
    except (KeyError, ValueError, TypeError):
        return notification.kind


# --- preferences -----------------------------------------------------------------------------------------------


def deliveries(user_ids: Iterable[int]) -> dict[tuple[int, str], Delivery]:
    """The delivery each of these users chose, per kind (kinds without a choice: absent, use the default)."""
    ids = list(set(user_ids))
    if not ids:
        return {}
    rows = db.session.execute(
        select(NotificationPreference.user_id, NotificationPreference.kind, NotificationPreference.delivery).where(
            NotificationPreference.user_id.in_(ids)
        )
    )
    return {(user_id, kind): delivery for user_id, kind, delivery in rows}


def delivery_of(chosen: dict[tuple[int, str], Delivery], user_id: int, kind: Kind) -> Delivery:
    return chosen.get((user_id, kind.value), KINDS[kind].default)


def preferences(user: User) -> dict[Kind, Delivery]:
    chosen = deliveries([user.id])
    return {kind: delivery_of(chosen, user.id, kind) for kind in Kind}


def set_preferences(user: User, choices: dict[Kind, Delivery]) -> None:
    with unit_of_work():
        db.session.execute(delete(NotificationPreference).where(NotificationPreference.user_id == user.id))
        for kind, delivery in choices.items():
            if delivery is not KINDS[kind].default:
                db.session.add(NotificationPreference(user_id=user.id, kind=kind.value, delivery=delivery))
        audit.record(
            user, "user.notification_preferences", "user", user.id, choices={k.value: d.value for k, d in choices.items()}
        )


# --- recipients ------------------------------------------------------------------------------------------------


def _active(query):
    return query.join(User, User.id == Membership.user_id).where(User.active.is_(True))


def city_staff(city_ids: Iterable[int]) -> set[int]:
    """Everyone with a role in these cities (staff and voters)."""
    ids = list(city_ids)
    if not ids:
        return set()
    return set(db.session.scalars(_active(select(Membership.user_id)).where(Membership.city_id.in_(ids))))


def staff_by_city(city_ids: Iterable[int]) -> dict[int, set[int]]:
    """Everyone with a role in each of these cities, by city (one statement for all of them)."""
    ids = list(set(city_ids))
    found: dict[int, set[int]] = {city_id: set() for city_id in ids}
    if ids:
        rows = db.session.execute(_active(select(Membership.city_id, Membership.user_id)).where(Membership.city_id.in_(ids)))
        for city_id, user_id in rows:
            found[city_id].add(user_id)
    return found


def city_voters(city_id: int) -> set[int]:
    return set(
        db.session.scalars(
            _active(select(Membership.user_id)).where(Membership.city_id == city_id, Membership.role == CityRole.VOTER)
        )
    )


def everyone_involved() -> set[int]:
    """Every active user with a role in a city, and the steering committee."""
    with_city = set(db.session.scalars(_active(select(Membership.user_id))))
    steering = set(db.session.scalars(select(User.id).where(User.active.is_(True), User.is_steering.is_(True))))
    return with_city | steering


class Subject(StrEnum):
    """What can be followed."""

    CHALLENGE = "challenge"
    ROUND = "round"
    PILOT = "pilot"


def _explicit(subject: Subject, subject_id: int) -> dict[int, bool]:
    rows = db.session.execute(
        select(Follow.user_id, Follow.following).where(Follow.subject_type == subject.value, Follow.subject_id == subject_id)
    )
    return {user_id: following for user_id, following in rows}


def _followers(subject: Subject, subject_id: int, automatic: set[int]) -> set[int]:
    """Who follows an item: those who do automatically, plus who chose to, minus who chose not to (active only)."""
    explicit = _explicit(subject, subject_id)
    followers = (automatic | {user_id for user_id, on in explicit.items() if on}) - {
        user_id for user_id, on in explicit.items() if not on
    }
    if not followers:
        return set()
    return set(db.session.scalars(select(User.id).where(User.id.in_(followers), User.active.is_(True))))


def _followed_by_cities(challenge: Challenge) -> set[int]:
    """The cities whose staff follow the challenge without asking: the proposing one and the co-sponsors."""
    return {challenge.city_id, *(sponsorship.city_id for sponsorship in challenge.cosponsors)}


def _pilot_cities(pilot: Pilot) -> set[int]:
    return {participation.city_id for participation in pilot.participants if participation.accepted}


def challenge_followers(challenge: Challenge) -> set[int]:
    """The proposing and co-sponsoring cities' staff, plus who chose to follow, minus who chose not to."""
    return _followers(Subject.CHALLENGE, challenge.id, city_staff(_followed_by_cities(challenge)))


def pilot_followers(pilot: Pilot) -> set[int]:
    """The leads and the staff of the participating (accepted) cities, plus who chose to follow, minus who
    chose not to."""
    return _followers(Subject.PILOT, pilot.id, city_staff(_pilot_cities(pilot)) | {lead.id for lead in pilot.leads})


def round_followers(round_: Round, among: set[int] | None = None) -> set[int]:
    """Everyone involved (city staff and the steering committee) and who chose to follow the round, minus who
    chose not to; ``among``: only these (a city's voters hear of their ballot unless they unfollowed the round)."""
    automatic = everyone_involved() if among is None else among
    followers = _followers(Subject.ROUND, round_.id, automatic)
    return followers if among is None else followers & among


def _follows_automatically(user: User, subject: Subject, item: Challenge | Round | Pilot) -> bool:
    if isinstance(item, Challenge):
        return bool(set(user.city_ids) & _followed_by_cities(item))
    if isinstance(item, Pilot):
        return bool(set(user.city_ids) & _pilot_cities(item)) or any(lead.id == user.id for lead in item.leads)
    return bool(user.city_ids) or bool(user.is_steering)


def _subject(item: Challenge | Round | Pilot) -> Subject:
    if isinstance(item, Challenge):
        return Subject.CHALLENGE
    return Subject.PILOT if isinstance(item, Pilot) else Subject.ROUND


def _own_follow(user_id: int, subject: Subject, subject_id: int):
    return (Follow.user_id == user_id, Follow.subject_type == subject.value, Follow.subject_id == subject_id)


def is_following(user: User | None, item: Challenge | Round | Pilot) -> bool:
    """Whether the user hears of this challenge, round or pilot (their own choice, else the automatic rule)."""
    if user is None or not user.is_authenticated:
        return False
    subject = _subject(item)
    explicit = db.session.scalar(select(Follow.following).where(*_own_follow(user.id, subject, item.id)))
    if explicit is not None:
        return explicit
    return _follows_automatically(user, subject, item)


def can_follow(user: User | None, item: Challenge | Round | Pilot) -> bool:
    """Signed-in users follow what everyone sees: pilots, rounds, submitted challenges (a draft is its city's
    business)."""
    if not (user and user.is_authenticated):
        return False
    return item.status in PUBLIC_STATUSES if isinstance(item, Challenge) else True


def follow(user: User, item: Challenge | Round | Pilot, following: bool) -> None:
    """Follow (or stop following) a challenge, a round or a pilot; the choice overrides the automatic rule."""
    if following and not can_follow(user, item):
        raise ServiceError(_l("Only submitted challenges can be followed."))
    subject = _subject(item)
    with unit_of_work():
        row = db.session.scalar(select(Follow).where(*_own_follow(user.id, subject, item.id)))
        if row is None:
            db.session.add(Follow(user_id=user.id, subject_type=subject.value, subject_id=item.id, following=following))
        else:
            row.following = following
        audit.record(user, f"{subject.value}.{'followed' if following else 'unfollowed'}", subject.value, item.id)


# --- sending ---------------------------------------------------------------------------------------------------

_muted: ContextVar[bool] = ContextVar("notifications muted", default=False)


@contextmanager
def muted() -> Iterator[None]:
    """Decisions made in the block notify nobody (the demo data's history)."""
    token = _muted.set(True)
    try:
        yield
    finally:
        _muted.reset(token)


def notify(kind: Kind, user_ids: Iterable[int], link: str, params: dict[str, Any], actor: User | None = None) -> int:
    """Add a notification of ``kind`` for each user (never the actor, never who turned the kind off) to the
    caller's unit of work; after its commit, the e-mails of those who want them at once are queued.
    Returns how many notifications were added."""
    if _muted.get():
        return 0
    recipients = set(user_ids) - ({actor.id} if actor is not None else set())
    chosen = deliveries(recipients)
    added: list[tuple[Notification, Delivery]] = []
    for user_id in sorted(recipients):
        delivery = delivery_of(chosen, user_id, kind)
        if delivery is Delivery.OFF:
            continue
        notification = Notification(user_id=user_id, kind=kind.value, params=params, link=link)
        db.session.add(notification)
        added.append((notification, delivery))
    if any(delivery is Delivery.IMMEDIATELY for _, delivery in added):
        db.session.flush()
        ids = [notification.id for notification, delivery in added if delivery is Delivery.IMMEDIATELY]
        after_commit(lambda: _queue_emails(ids))
    return len(added)


def emails_on() -> bool:
    """Whether notifications go out by e-mail here (NOTIFICATION_EMAILS and a way to send mail)."""
    return bool(current_app.config.get("NOTIFICATION_EMAILS", True)) and mail.enabled()


def _queue_emails(ids: list[int]) -> None:
    if not emails_on():
        return
    try:
        jobs.enqueue("send_notification_emails", ids)
    except jobs.QueueUnavailable:
        log.warning("notification e-mails %s not queued; the next digest sends them", ids)


def send_emails(notification_ids: list[int]) -> int:
    """The job: e-mail each notification on its own (those not read or sent in the meantime). Marks each as
    sent right after it left, so a retry after a failure sends only the rest. Returns how many were sent."""
    sent = 0
    for notification_id in notification_ids:
        notification = db.session.get(Notification, notification_id)
        if notification is None or notification.emailed_at is not None or notification.read_at is not None:
            continue
        user = db.session.get(User, notification.user_id)
        if user is None or not user.active:
            continue
        message = mail.render(
            user,
            "notification",
            _l("Datapilots: %(what)s", what=KINDS[Kind(notification.kind)].label),
            notification=notification,
            text=text,
        )
        message.send()
        with unit_of_work():
            notification.emailed_at = utcnow()
        sent += 1
    return sent


def send_digests() -> int:
    """The daily job: one e-mail per user with their unread notifications not sent yet (the daily kinds, and
    immediate ones whose e-mail did not go out). Returns how many digests were sent."""
    if not emails_on():
        return 0
    missed_before = utcnow() - MISSED_AFTER
    rows = db.session.scalars(
        select(Notification)
        .where(Notification.emailed_at.is_(None), Notification.read_at.is_(None))
        .order_by(Notification.user_id, Notification.id)
    ).all()
    chosen = deliveries(row.user_id for row in rows)
    per_user: dict[int, list[Notification]] = {}
    for row in rows:
        delivery = delivery_of(chosen, row.user_id, Kind(row.kind)) if row.kind in KIND_VALUES else Delivery.DAILY
        if delivery is Delivery.DAILY or (delivery is Delivery.IMMEDIATELY and row.created_at < missed_before):
            per_user.setdefault(row.user_id, []).append(row)
    users = {user.id: user for user in db.session.scalars(select(User).where(User.id.in_(per_user), User.active.is_(True)))}
    # Each digest commits on its own (a failure later sends none twice); loaded rows need no refresh after each.
    for loaded in (*rows, *users.values()):
        db.session.expunge(loaded)
    sent = 0
    for user_id, notifications in per_user.items():
        user = users.get(user_id)
        if user is None:
            continue
        message = mail.render(
            user,
            "digest",
            _l("Datapilots: what happened today"),
            notifications=notifications,
            text=text,
        )
        message.send()
        with unit_of_work():
            db.session.execute(
                update(Notification)
                .where(Notification.id.in_([n.id for n in notifications]))
                .values(emailed_at=utcnow())
                .execution_options(synchronize_session=False)
            )
        sent += 1
    return sent


# --- the notification centre -----------------------------------------------------------------------------------


def list_query(user: User):
    return select(Notification).where(Notification.user_id == user.id).order_by(Notification.id.desc())


def mark_read(user: User, notification_id: int | None = None) -> int:
    """Mark one of the user's notifications (or all of them) read; another user's is not found."""
    condition = [Notification.user_id == user.id, Notification.read_at.is_(None)]
    if notification_id is not None:
        owned = db.session.scalar(
            select(Notification.id).where(Notification.id == notification_id, Notification.user_id == user.id)
        )
        if owned is None:
            raise NotFound(_l("This notification does not exist."))
        condition.append(Notification.id == notification_id)
    with unit_of_work():
        result = db.session.execute(
            update(Notification).where(*condition).values(read_at=utcnow()).execution_options(synchronize_session=False)
        )
    return result.rowcount or 0
