"""Links sent by e-mail that let someone choose a password: a reset they asked for, or an invitation.

A link carries a signed token (itsdangerous) naming the account, what the link is for and a fingerprint of the
account's current password hash. It expires (PASSWORD_RESET_MINUTES, INVITATION_DAYS) and works once: choosing
a password changes the hash, so the fingerprint no longer matches. The e-mails are sent by jobs
(:mod:`pilots.jobs.tasks`); asking for a reset enqueues the job with the address as typed, so the answer, and
the time it takes, are the same whether or not an account uses that address.
"""

from __future__ import annotations

import hashlib
import secrets
from enum import StrEnum

from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeTimedSerializer

from pilots import jobs, mail
from pilots.extensions import db
from pilots.models import User
from pilots.services import accounts, audit
from pilots.services.errors import ServiceError
from pilots.services.transaction import unit_of_work

_SALT = "choose a password"
LINK_NOT_VALID = _l("This link does not work (any more). Links work once, and only for a limited time.")
QUEUE_DOWN = _l("The e-mail could not be sent now. Try again in a few minutes.")


class Purpose(StrEnum):
    RESET = "reset"
    INVITATION = "invitation"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def _fingerprint(user: User) -> str:
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:20]


def max_age(purpose: Purpose) -> int:
    """How many seconds a link for ``purpose`` works."""
    config = current_app.config
    if purpose is Purpose.INVITATION:
        return int(config["INVITATION_DAYS"]) * 24 * 3600
    return int(config["PASSWORD_RESET_MINUTES"]) * 60


def make_token(user: User, purpose: Purpose) -> str:
    return _serializer().dumps({"u": user.id, "p": purpose.value, "f": _fingerprint(user)})


def read_token(token: str) -> tuple[User, Purpose] | None:
    """The active account and purpose of a valid, unexpired and unused token; None for anything else."""
    serializer = _serializer()
    try:
        payload = serializer.loads(token)
        purpose = Purpose(payload["p"])
        serializer.loads(token, max_age=max_age(purpose))
        user = db.session.get(User, int(payload["u"]))
    except (BadSignature, KeyError, TypeError, ValueError):
        return None
    if user is None or not user.active or not secrets.compare_digest(str(payload.get("f")), _fingerprint(user)):
        return None
    return user, purpose


def can_send_email() -> bool:
    """Whether this installation sends e-mail (the sign-in page offers "forgot your password?" only then)."""
    return mail.enabled()


def request_password_reset(email: str, ip: str | None = None) -> None:
    """Send a reset link to ``email`` if an active account uses it. Raises ServiceError when the queue is down."""
    address = accounts.normalise_email(email)[:254]
    with unit_of_work():
        audit.record(None, "user.password_reset_requested", "user", None, email=address, ip=ip)
    _enqueue("send_password_reset", address)


def send_password_reset(email: str) -> bool:
    """The job: e-mail a reset link to the account using ``email``; False when there is none (nothing is sent)."""
    user = accounts.find_user_by_email(email)
    if user is None or not user.active or not mail.enabled():
        return False
    minutes = int(current_app.config["PASSWORD_RESET_MINUTES"])
    _send_link(user, Purpose.RESET, _l("Choose a new password for Datapilots"), minutes=minutes)
    return True


def _enqueue(job: str, *args) -> None:
    """Queue the e-mail job; a queue that does not answer is a message for the user (QUEUE_DOWN)."""
    try:
        jobs.enqueue(job, *args)
    except jobs.QueueUnavailable:
        raise ServiceError(QUEUE_DOWN) from None


def _send_link(user: User, purpose: Purpose, subject, **context) -> None:
    """E-mail ``user`` the link for ``purpose`` (template ``email/password_reset`` or ``email/invitation``)."""
    template = "invitation" if purpose is Purpose.INVITATION else "password_reset"
    mail.render(user, template, subject, token=make_token(user, purpose), **context).send()


def invite(actor: User, user_id: int) -> None:
    """Send the account an invitation to choose its password (an administrator's action)."""
    user = accounts.get_user(user_id)
    if not user.active:
        raise ServiceError(_l("This account is deactivated: activate it before inviting its owner."))
    if not mail.enabled():
        raise ServiceError(_l("This platform does not send e-mail (no mail server is configured)."))
    with unit_of_work():
        audit.record(actor, "user.invited", "user", user.id, email=user.email)
    _enqueue("send_invitation", user.id, actor.id)


def send_invitation(user_id: int, actor_id: int | None) -> bool:
    """The job: e-mail the invitation; False when the account is gone or deactivated in the meantime."""
    user = db.session.get(User, user_id)
    if user is None or not user.active or not mail.enabled():
        return False
    inviter = db.session.get(User, actor_id) if actor_id else None
    days = int(current_app.config["INVITATION_DAYS"])
    _send_link(user, Purpose.INVITATION, _l("You are invited to Datapilots"), inviter=inviter, days=days)
    return True


def choose_password(token: str, password: str, min_length: int, ip: str | None = None) -> User:
    """Set the password of the token's account: the link then stops working and every other session ends."""
    found = read_token(token)
    if found is None:
        raise ServiceError(LINK_NOT_VALID)
    user, purpose = found
    accounts.check_password_strength(password, min_length)
    with unit_of_work():
        user.set_password(password, accounts.hash_method())
        action = "user.invitation_accepted" if purpose is Purpose.INVITATION else "user.password_reset_by_email"
        audit.record(user, action, "user", user.id, ip=ip)
    return user
