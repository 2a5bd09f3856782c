"""Accounts, their global roles and their roles in cities."""

from __future__ import annotations

import enum
import secrets
from datetime import datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from pilots.models.base import Base, enum_column, utcnow
from pilots.models.city import City


class CityRole(enum.StrEnum):
    """A user's role in one city. A voter is staff who may also cast the city's ballot."""

    STAFF = "staff"
    VOTER = "voter"


class User(UserMixin, Base):
    __tablename__ = "users"
    # One account per identity at a provider: single sign-on matches by (issuer, sub) once linked (docs/sso.md).
    __table_args__ = (sa.Index("ix_users_oidc_identity", "oidc_issuer", "oidc_subject", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    password_hash: Mapped[str] = mapped_column(sa.String(256))
    # What the session cookie names instead of the id: changing it ends every session of this account
    # (on password change or reset, sign-out and deactivation), so a copied cookie stops working.
    session_token: Mapped[str] = mapped_column(sa.String(64), unique=True, default=lambda: secrets.token_urlsafe(32))
    locale: Mapped[str] = mapped_column(sa.String(5), default="nl")
    active: Mapped[bool] = mapped_column(default=True)
    is_admin: Mapped[bool] = mapped_column(default=False)
    is_steering: Mapped[bool] = mapped_column(default=False)
    last_login_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(default=1)
    # The identity at the single sign-on provider this account is linked to (none: password only so far).
    oidc_issuer: Mapped[str | None] = mapped_column(sa.String(255))
    oidc_subject: Mapped[str | None] = mapped_column(sa.String(255))

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="user", cascade="all, delete-orphan", order_by="Membership.id"
    )

    # The version counts edits of the profile (services bump it), not sign-ins: an administrator's open
    # form must not go stale because the person signed in meanwhile. Updates still check it.
    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}

    # Flask-Login reads is_active: an inactive account cannot sign in and loses its session.
    @property
    def is_active(self) -> bool:  # type: ignore[override]
        return self.active

    def get_id(self) -> str:
        return self.session_token

    def end_sessions(self) -> None:
        """Invalidate every session of this account."""
        self.session_token = secrets.token_urlsafe(32)

    def set_password(self, password: str, method: str = "scrypt") -> None:
        """Store a salted hash of ``password`` (werkzeug's ``method``) and end every session."""
        self.password_hash = generate_password_hash(password, method=method)
        self.end_sessions()

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    def role_in(self, city_id: int | None) -> CityRole | None:
        for membership in self.memberships:
            if membership.city_id == city_id:
                return membership.role
        return None

    def is_staff_of(self, city_id: int | None) -> bool:
        return self.role_in(city_id) is not None

    def is_voter_of(self, city_id: int | None) -> bool:
        return self.role_in(city_id) is CityRole.VOTER

    @property
    def cities(self) -> list[City]:
        return [membership.city for membership in self.memberships]

    @property
    def city_ids(self) -> list[int]:
        """The cities this user works for."""
        return [membership.city_id for membership in self.memberships]

    def __repr__(self) -> str:
        return f"<User {self.email}>"


class Membership(Base):
    """A user works for a city, as staff or as staff who also votes."""

    __tablename__ = "memberships"
    __table_args__ = (sa.UniqueConstraint("user_id", "city_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    city_id: Mapped[int] = mapped_column(sa.ForeignKey("cities.id"), index=True)
    role: Mapped[CityRole] = mapped_column(enum_column(CityRole), default=CityRole.STAFF)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship(back_populates="memberships")
    city: Mapped[City] = relationship(back_populates="memberships", lazy="joined")
