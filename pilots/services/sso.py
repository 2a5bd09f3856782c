"""Single sign-on: who an OpenID Connect identity is on this platform, and which addresses must use it.

The web layer (``pilots/web/auth/oidc.py``) runs the protocol with Authlib and hands over an :class:`Identity` whose
ID token it verified. This service decides who that is: the account linked to the identity's (issuer, sub), else the
account with its *verified* e-mail address (which is then linked), else a new account without any role. Claims give
cities and roles only when the configuration says so (OIDC_CITY_CLAIM, OIDC_ROLE_CLAIM with OIDC_ROLE_MAP), and
only ever add: a role an administrator gave is never taken away or lowered here. See docs/sso.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select

from pilots.config import parse_role_map
from pilots.extensions import db
from pilots.models import City, CityRole, Membership, User, utcnow
from pilots.services import audit
from pilots.services.accounts import LOCALES, normalise_email
from pilots.services.errors import ServiceError
from pilots.services.transaction import unit_of_work

#: A password hash that no password matches (werkzeug reads it as malformed): accounts made by single sign-on
#: have no password until their owner chooses one through a reset link (refused for the required domains).
NO_PASSWORD = "!single-sign-on"  # noqa: S105 - a marker, not a password

NAME_LENGTH = 120
EMAIL_LENGTH = 254
IDENTITY_LENGTH = 255


class SignInRefused(ServiceError):
    """The identity is genuine but may not sign in here; ``status`` is the HTTP status of the page that says so."""

    def __init__(self, message, status: int = 401, reason: str = "refused") -> None:
        super().__init__(message)
        self.status = status
        self.reason = reason


@dataclass(frozen=True)
class Identity:
    """What the provider vouched for: the ID token's verified claims (and its userinfo, for the same ``sub``)."""

    issuer: str
    subject: str
    claims: Mapping[str, Any] = field(default_factory=dict)


def is_enabled() -> bool:
    return bool(current_app.config.get("OIDC_ISSUER"))


def provider_name():
    """The provider's name for the sign-in button and the messages: OIDC_NAME, else "single sign-on" (translated)."""
    return current_app.config.get("OIDC_NAME") or _l("single sign-on")


def required_domain(email: str | None) -> str | None:
    """The domain of OIDC_REQUIRED_DOMAINS that ``email`` belongs to (its own or a subdomain), if SSO is on."""
    if not email or not is_enabled():
        return None
    domain = normalise_email(email).rpartition("@")[2]
    if not domain:
        return None
    for required in current_app.config.get("OIDC_REQUIRED_DOMAINS") or ():
        required = required.strip().lower().lstrip("@")
        if required and (domain == required or domain.endswith("." + required)):
            return required
    return None


def password_refusal(email: str | None, purpose: str = "login"):
    """The message refusing a password sign-in (``login``) or reset (``reset``) for ``email``, or None if allowed."""
    domain = required_domain(email)
    if domain is None:
        return None
    if purpose == "reset":
        return _l(
            "Accounts at %(domain)s sign in with %(provider)s: there is no password here to reset. "
            "Use the button “Sign in with %(provider)s” on the sign-in page.",
            domain=domain,
            provider=provider_name(),
        )
    return _l(
        "Accounts at %(domain)s sign in with %(provider)s, not with a password. Use the button “Sign in with %(provider)s”.",
        domain=domain,
        provider=provider_name(),
    )


def record_password_refusal(email: str, purpose: str, ip: str | None = None) -> None:
    """Audit a password sign-in or reset refused because the address must use single sign-on."""
    email = normalise_email(email)[:EMAIL_LENGTH]
    user = _user_by_email(email)
    with unit_of_work():
        audit.record(
            None,
            "user.password_reset_refused" if purpose == "reset" else "user.login_refused",
            "user",
            user.id if user else None,
            email=email,
            reason="sso_required",
            domain=required_domain(email),
            ip=ip,
        )


def record_refusal(reason: str, ip: str | None = None, **details: Any) -> None:
    """Audit a single sign-on that did not get as far as an identity (state, signature, audience, expiry, …)."""
    with unit_of_work():
        audit.record(
            None, "sso.refused", "user", None, reason=reason, issuer=current_app.config.get("OIDC_ISSUER"), ip=ip, **details
        )


def sign_in(identity: Identity, ip: str | None = None) -> User:
    """The account this verified identity signs in to (linked or created as needed); audited. Raises SignInRefused."""
    issuer, subject = identity.issuer, identity.subject
    claims = identity.claims
    if not subject or len(subject) > IDENTITY_LENGTH or not issuer or len(issuer) > IDENTITY_LENGTH:
        _refuse("subject_invalid", 401, _l("The identity provider did not say who you are."), identity)
    user = db.session.scalar(select(User).where(User.oidc_issuer == issuer, User.oidc_subject == subject))
    email = None
    created = linked = False
    if user is None:
        email = _verified_email(identity)
        user = _user_by_email(email)
        if user is None:
            created = True
        elif user.oidc_subject is not None:
            _refuse(
                "email_linked_elsewhere",
                403,
                _l(
                    "The account with the address %(email)s is linked to another identity at %(provider)s. Ask an administrator.",
                    email=email,
                    provider=provider_name(),
                ),
                identity,
                user,
            )
        else:
            linked = True
    if user is not None and not user.active:
        _refuse("inactive", 403, _l("This account is deactivated. Ask an administrator."), identity, user)
    grants, ignored = _mapped_memberships(claims)
    with unit_of_work(_l("Another account already uses this email address."), "email"):
        if created:
            user = User(
                email=email,
                name=_name(claims, email),
                locale=_locale(claims),
                is_admin=False,
                is_steering=False,
                active=True,
                password_hash=NO_PASSWORD,
                oidc_issuer=issuer,
                oidc_subject=subject,
            )
            db.session.add(user)
            db.session.flush()
            audit.record(
                None,
                "user.created",
                "user",
                user.id,
                email=email,
                is_admin=False,
                is_steering=False,
                memberships=[],
                via="sso",
                issuer=issuer,
            )
        elif linked:
            user.oidc_issuer, user.oidc_subject = issuer, subject
            audit.record(user, "user.sso_linked", "user", user.id, issuer=issuer, email=email)
        _grant(user, grants)
        user.last_login_at = utcnow()
        audit.record(user, "user.login", "user", user.id, ip=ip, method="sso", issuer=issuer, ignored_claims=ignored or None)
    return user


def _refuse(reason: str, status: int, message, identity: Identity, user: User | None = None) -> None:
    claims = identity.claims
    with unit_of_work():
        audit.record(
            None,
            "sso.refused",
            "user",
            user.id if user else None,
            reason=reason,
            issuer=identity.issuer[:IDENTITY_LENGTH],
            subject=(identity.subject or "")[:IDENTITY_LENGTH],
            email=str(claims.get("email") or "")[:EMAIL_LENGTH] or None,
        )
    raise SignInRefused(message, status, reason)


def _verified_email(identity: Identity) -> str:
    claims = identity.claims
    email = claims.get("email")
    if not isinstance(email, str) or "@" not in email or len(email.strip()) > EMAIL_LENGTH:
        _refuse(
            "email_missing",
            401,
            _l(
                "%(provider)s did not give an e-mail address: this platform needs one to know who you are.",
                provider=provider_name(),
            ),
            identity,
        )
    verified = claims.get("email_verified")
    if verified is not True and verified != "true":  # some providers send the JSON string
        _refuse(
            "email_unverified",
            401,
            _l(
                "%(provider)s has not verified your e-mail address %(email)s, so it cannot be used to sign in here. "
                "Verify it at %(provider)s, or sign in with a password.",
                provider=provider_name(),
                email=normalise_email(email),
            ),
            identity,
        )
    return normalise_email(email)


def _user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(func.lower(User.email) == normalise_email(email)))


def _name(claims: Mapping[str, Any], email: str) -> str:
    name = claims.get("name")
    if not isinstance(name, str) or not name.strip():
        parts = [claims.get("given_name"), claims.get("family_name")]
        name = " ".join(part.strip() for part in parts if isinstance(part, str) and part.strip())
    return (name.strip() or email.partition("@")[0])[:NAME_LENGTH]


def _locale(claims: Mapping[str, Any]) -> str:
    locale = claims.get("locale")
    language = locale.replace("_", "-").split("-")[0].lower() if isinstance(locale, str) else ""
    return language if language in LOCALES else "nl"


def _values(claim: Any) -> list[str]:
    """A claim as a list of strings (a string, a number, or a list of those; anything else: nothing)."""
    items = claim if isinstance(claim, list) else [claim]
    return [
        str(item).strip() for item in items if isinstance(item, str | int) and not isinstance(item, bool) and str(item).strip()
    ]


def _mapped_role(claims: Mapping[str, Any]) -> CityRole | None:
    """The role the claims give: staff when no role claim is configured; else the highest the map gives, or None."""
    claim = current_app.config.get("OIDC_ROLE_CLAIM")
    if not claim:
        return CityRole.STAFF
    mapping = parse_role_map(current_app.config.get("OIDC_ROLE_MAP") or "")
    roles = {mapping[value] for value in _values(claims.get(claim)) if value in mapping}
    if CityRole.VOTER.value in roles:
        return CityRole.VOTER
    return CityRole.STAFF if CityRole.STAFF.value in roles else None


def _mapped_memberships(claims: Mapping[str, Any]) -> tuple[list[tuple[City, CityRole]], list[str]]:
    """The (city, role) pairs the configured claims give, and the claim values that matched no city."""
    claim = current_app.config.get("OIDC_CITY_CLAIM")
    if not claim:
        return [], []
    values = _values(claims.get(claim))[:20]
    role = _mapped_role(claims)
    if not values or role is None:
        return [], []
    keys = {value.lower() for value in values} | set(values)
    cities = db.session.scalars(select(City).where(or_(City.slug.in_(keys), City.nis_code.in_(keys))).order_by(City.id)).all()
    known = {city.slug for city in cities} | {city.nis_code for city in cities if city.nis_code}
    ignored = [value for value in values if value not in known and value.lower() not in known]
    return [(city, role) for city in cities], ignored


def _grant(user: User, grants: list[tuple[City, CityRole]]) -> None:
    """Add the roles the claims give; raise staff to voter when they say so; never remove or lower a role."""
    for city, role in grants:
        membership = next((m for m in user.memberships if m.city_id == city.id), None)
        if membership is None:
            user.memberships.append(Membership(city=city, role=role))
            audit.record(None, "membership.added", "user", user.id, city=city.slug, role=role.value, via="sso")
        elif membership.role is CityRole.STAFF and role is CityRole.VOTER:
            audit.record(
                None, "membership.changed", "user", user.id, city=city.slug, role={"from": "staff", "to": "voter"}, via="sso"
            )
            membership.role = role
