"""What the platform tells a user between visits: notifications, what they follow, how they want to hear."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, column_property, mapped_column

from pilots.models.base import Base, enum_column, utcnow
from pilots.models.user import User


class Delivery(enum.StrEnum):
    """How a user hears of one kind of notification: always in the app, and by e-mail at once or daily."""

    IMMEDIATELY = "immediately"
    DAILY = "daily"
    OFF = "off"


class Notification(Base):
    """One thing for one user. The text is made when it is shown, in the reader's language, from ``kind`` and
    ``params`` (names and titles as they were), so a notification never holds a text in the wrong language."""

    __tablename__ = "notifications"
    __table_args__ = (sa.Index("ix_notifications_user_read", "user_id", "read_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(32))
    params: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    link: Mapped[str] = mapped_column(sa.String(300))  # a path on the platform, e.g. /challenges/12#comment-3
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    read_at: Mapped[datetime | None]
    emailed_at: Mapped[datetime | None]  # sent on its own or in a digest; None while waiting (or never: off)


class Follow(Base):
    """A user's explicit choice about one item: follow it (``following``) or stop following what they would
    follow automatically (the proposing city's staff their challenge, co-sponsors, pilot participants)."""

    __tablename__ = "follows"
    __table_args__ = (sa.UniqueConstraint("user_id", "subject_type", "subject_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    subject_type: Mapped[str] = mapped_column(sa.String(16))  # "challenge", "pilot", "round"
    subject_id: Mapped[int]
    following: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class NotificationPreference(Base):
    """A user's delivery for one kind; kinds without a row use the kind's default."""

    __tablename__ = "notification_preferences"
    __table_args__ = (sa.UniqueConstraint("user_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(32))
    delivery: Mapped[Delivery] = mapped_column(enum_column(Delivery, 16))


# The unread count travels with the signed-in user's own row (the navigation bar shows it on every page, in the
# statement that loads the user, not in one more).
User.unread_notifications = column_property(
    sa.select(sa.func.count(Notification.id))
    .where(Notification.user_id == User.id, Notification.read_at.is_(None))
    .correlate_except(Notification)
    .scalar_subquery(),
    deferred=True,
)
