"""Use cases for accounts: signing in, passwords, users and their roles in cities."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from functools import cache

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from pilots.extensions import db
from pilots.models import City, CityRole, Membership, User, utcnow
from pilots.services import audit
from pilots.services.errors import NotFound, ServiceError
from pilots.services.transaction import check_version, unit_of_work

LOCALES = ("nl", "en")


@cache
def _dummy_hash() -> str:
    """A hash checked when the account does not exist, so that both answers take as long."""
    return generate_password_hash(secrets.token_hex(16))


def hash_method() -> str:
    """werkzeug's password hash method: PASSWORD_HASH_METHOD (scrypt; the tests use a fast one)."""
    return current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")


def city_ids(user: User | None) -> list[int]:
    """The cities a (possibly anonymous) visitor works for: none unless signed in."""
    return user.city_ids if user is not None and user.is_authenticated else []


def normalise_email(email: str) -> str:
    return email.strip().lower()


def get_user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound(_l("This user does not exist."))
    return user


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def authenticate(email: str, password: str, ip: str | None = None) -> User | None:
    """Return the active user with these credentials, or None, without telling which part was wrong."""
    user = find_user_by_email(email)
    if user is None:
        check_password_hash(_dummy_hash(), password)
        ok = False
    else:
        ok = user.check_password(password) and user.active
    with unit_of_work():
        if ok:
            user.last_login_at = utcnow()
            audit.record(user, "user.login", "user", user.id, ip=ip)
        else:
            audit.record(
                None,
                "user.login_failed",
                "user",
                user.id if user else None,
                email=normalise_email(email)[:254],
                ip=ip,
            )
    return user if ok else None


def record_logout(user: User) -> None:
    """Sign-out ends the account's sessions everywhere: a copied session cookie stops working too."""
    with unit_of_work():
        user.end_sessions()
        audit.record(user, "user.logout", "user", user.id)


def check_password_strength(password: str, min_length: int) -> None:
    if len(password) < min_length:
        raise ServiceError(_l("Use at least %(n)d characters.", n=min_length), "password")


def _ensure_unique_email(email: str, exclude_id: int | None = None) -> None:
    query = select(User.id).where(func.lower(User.email) == email)
    if exclude_id is not None:
        query = query.where(User.id != exclude_id)
    if db.session.scalar(query) is not None:
        raise ServiceError(_l("Another account already uses this email address."), "email")


def _check_locale(locale: str) -> None:
    if locale not in LOCALES:
        raise ServiceError(_l("Choose Dutch or English."), "locale")


@dataclass(frozen=True)
class UserData:
    """What an administrator can set on an account."""

    email: str
    name: str
    locale: str = "nl"
    is_admin: bool = False
    is_steering: bool = False


def create_user(
    actor: User | None,
    data: UserData,
    password: str | None,
    min_password_length: int = 10,
    memberships: tuple[tuple[int, CityRole], ...] = (),
) -> User:
    email = normalise_email(data.email)
    name = data.name.strip()
    if not name:
        raise ServiceError(_l("Enter a name."), "name")
    _check_locale(data.locale)
    if password is not None:  # None: nobody knows the password until the owner chooses one (an invitation)
        check_password_strength(password, min_password_length)
    _ensure_unique_email(email)
    with unit_of_work(_l("Another account already uses this email address."), "email"):
        user = User(
            email=email,
            name=name,
            locale=data.locale,
            is_admin=data.is_admin,
            is_steering=data.is_steering,
            active=True,
        )
        user.set_password(password or secrets.token_urlsafe(32), hash_method())
        db.session.add(user)
        for city_id, role in memberships:
            user.memberships.append(Membership(city=_get_city(city_id), role=role))
        db.session.flush()
        audit.record(
            actor,
            "user.created",
            "user",
            user.id,
            email=email,
            is_admin=data.is_admin,
            is_steering=data.is_steering,
            memberships=[{"city_id": city_id, "role": role.value} for city_id, role in memberships],
        )
    return user


def _admin_count(exclude_id: int) -> int:
    return (
        db.session.scalar(
            select(func.count(User.id)).where(User.is_admin.is_(True), User.active.is_(True), User.id != exclude_id)
        )
        or 0
    )


def update_user(actor: User, user_id: int, data: UserData, expected_version: int | None) -> User:
    user = get_user(user_id)
    check_version(user.version, expected_version)
    email = normalise_email(data.email)
    name = data.name.strip()
    if not name:
        raise ServiceError(_l("Enter a name."), "name")
    _check_locale(data.locale)
    _ensure_unique_email(email, exclude_id=user.id)
    if user.is_admin and not data.is_admin and _admin_count(user.id) == 0:
        raise ServiceError(_l("The platform needs at least one active administrator."), "is_admin")
    changes = {}
    for field in ("email", "name", "locale", "is_admin", "is_steering"):
        new = {"email": email, "name": name}.get(field, getattr(data, field))
        if getattr(user, field) != new:
            changes[field] = {"from": getattr(user, field), "to": new}
            setattr(user, field, new)
    with unit_of_work(_l("Another account already uses this email address."), "email"):
        if changes:
            user.version += 1
            audit.record(actor, "user.updated", "user", user.id, changes=changes)
    return user


def set_active(actor: User, user_id: int, active: bool) -> User:
    user = get_user(user_id)
    if not active:
        if user.id == actor.id:
            raise ServiceError(_l("You cannot deactivate your own account."))
        if user.is_admin and _admin_count(user.id) == 0:
            raise ServiceError(_l("The platform needs at least one active administrator."))
    if user.active == active:
        return user
    with unit_of_work():
        user.active = active
        if not active:
            user.end_sessions()
        audit.record(actor, "user.activated" if active else "user.deactivated", "user", user.id)
    return user


def change_password(user: User, current: str, new: str, min_length: int = 10) -> None:
    if not user.check_password(current):
        raise ServiceError(_l("Your current password is not correct."), "current_password")
    check_password_strength(new, min_length)
    with unit_of_work():
        user.set_password(new, hash_method())
        audit.record(user, "user.password_changed", "user", user.id)


def reset_password(actor: User, user_id: int, new: str, min_length: int = 10) -> None:
    user = get_user(user_id)
    check_password_strength(new, min_length)
    with unit_of_work():
        user.set_password(new, hash_method())
        audit.record(actor, "user.password_reset", "user", user.id)


def set_locale(user: User, locale: str) -> None:
    _check_locale(locale)
    if user.locale == locale:
        return
    with unit_of_work():
        audit.record(user, "user.locale_changed", "user", user.id, changes={"locale": {"from": user.locale, "to": locale}})
        user.locale = locale


def _get_city(city_id: int) -> City:
    city = db.session.get(City, city_id)
    if city is None:
        raise ServiceError(_l("Choose a city."), "city_id")
    return city


def set_membership(actor: User, user_id: int, city_id: int, role: CityRole) -> Membership:
    """Give a user a role in a city, or change the role they have there."""
    user = get_user(user_id)
    city = _get_city(city_id)
    membership = next((m for m in user.memberships if m.city_id == city.id), None)
    with unit_of_work(_l("This user already has a role in this city."), "city_id"):
        if membership is None:
            membership = Membership(city=city, role=role)
            user.memberships.append(membership)
            audit.record(actor, "membership.added", "user", user.id, city=city.slug, role=role.value)
        elif membership.role != role:
            audit.record(
                actor,
                "membership.changed",
                "user",
                user.id,
                city=city.slug,
                role={"from": membership.role.value, "to": role.value},
            )
            membership.role = role
    return membership


def remove_membership(actor: User, user_id: int, membership_id: int) -> None:
    user = get_user(user_id)
    membership = next((m for m in user.memberships if m.id == membership_id), None)
    if membership is None:
        raise NotFound(_l("This role no longer exists."))
    with unit_of_work():
        audit.record(actor, "membership.removed", "user", user.id, city=membership.city.slug, role=membership.role.value)
        user.memberships.remove(membership)
