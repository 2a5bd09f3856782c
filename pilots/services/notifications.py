"""Notifications: who hears of what, how (in the app always; by e-mail at once or in a daily digest), follows.

Services that decide something call :func:`notify` inside their unit of work with the users it concerns; the
rows are stored with that decision, and the e-mails of those who want them at once are queued after the
commit (``send_notification_emails``). A kind's recipients are chosen by the service that knows the rule
(:func:`challenge_followers`, :func:`city_staff`, :func:`city_voters`, …); each is also filtered by
:func:`may_see`, so a notification never points anyone at what they may not see.
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
    User,
    utcnow,
)
from pilots.models.challenge import PUBLIC_STATUSES
from pilots.services import audit
from pilots.services.errors import NotFound, ServiceError
from pilots.services.transaction import after_commit, unit_of_work

log = logging.getLogger(__name__)


class Kind(StrEnum):
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


@dataclass(frozen=True)
class KindInfo:
    label: Any  # a lazy text: the preferences page's row
    text: Callable[[dict[str, Any]], str]  # the notification's sentence, in the current language
    default: Delivery = Delivery.IMMEDIATELY


KINDS: dict[Kind, KindInfo] = {
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
            deadline=format_date(date.fromisoformat(p["deadline"]), "long"),
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


def _explicit(subject_type: str, subject_id: int) -> dict[int, bool]:
    rows = db.session.execute(
        select(Follow.user_id, Follow.following).where(Follow.subject_type == subject_type, Follow.subject_id == subject_id)
    )
    return {user_id: following for user_id, following in rows}


def _followed_by_cities(challenge: Challenge) -> set[int]:
    """The cities whose staff follow the challenge without asking: the proposing one and the co-sponsors."""
    return {challenge.city_id, *(sponsorship.city_id for sponsorship in challenge.cosponsors)}


def _own_follow(user_id: int, challenge_id: int):
    return (Follow.user_id == user_id, Follow.subject_type == "challenge", Follow.subject_id == challenge_id)


def challenge_followers(challenge: Challenge) -> set[int]:
    """The proposing and co-sponsoring cities' staff, plus who chose to follow, minus who chose not to."""
    explicit = _explicit("challenge", challenge.id)
    followers = city_staff(_followed_by_cities(challenge)) | {user_id for user_id, on in explicit.items() if on}
    followers -= {user_id for user_id, on in explicit.items() if not on}
    if not followers:
        return set()
    active = db.session.scalars(select(User.id).where(User.id.in_(followers), User.active.is_(True)))
    return set(active)


def is_following(user: User | None, challenge: Challenge) -> bool:
    if user is None or not user.is_authenticated:
        return False
    explicit = db.session.scalar(select(Follow.following).where(*_own_follow(user.id, challenge.id)))
    if explicit is not None:
        return explicit
    return bool(set(user.city_ids) & _followed_by_cities(challenge))


def can_follow(user: User | None, challenge: Challenge) -> bool:
    """Signed-in users follow challenges that everyone sees (a draft is its city's business)."""
    return bool(user and user.is_authenticated and challenge.status in PUBLIC_STATUSES)


def follow(user: User, challenge: Challenge, following: bool) -> None:
    if following and not can_follow(user, challenge):
        raise ServiceError(_l("Only submitted challenges can be followed."))
    with unit_of_work():
        row = db.session.scalar(select(Follow).where(*_own_follow(user.id, challenge.id)))
        if row is None:
            db.session.add(Follow(user_id=user.id, subject_type="challenge", subject_id=challenge.id, following=following))
        else:
            row.following = following
        audit.record(user, "challenge.followed" if following else "challenge.unfollowed", "challenge", challenge.id)


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


def _queue_emails(ids: list[int]) -> None:
    if not mail.enabled():
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
    if not mail.enabled():
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
