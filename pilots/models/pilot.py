"""Pilots: the selected challenges the cities work on together (the workspace grows in a later feature)."""

from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pilots.models.base import Base, enum_column, utcnow
from pilots.models.challenge import Challenge
from pilots.models.city import City


class PilotStatus(enum.StrEnum):
    PLANNED = "planned"
    ACTIVE = "active"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class Pilot(Base):
    __tablename__ = "pilots"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(160))
    goal: Mapped[str] = mapped_column(sa.Text, default="")
    challenge_id: Mapped[int | None] = mapped_column(sa.ForeignKey("challenges.id"), unique=True)
    round_id: Mapped[int | None] = mapped_column(sa.ForeignKey("rounds.id"), index=True)
    lead_city_id: Mapped[int | None] = mapped_column(sa.ForeignKey("cities.id"))
    status: Mapped[PilotStatus] = mapped_column(enum_column(PilotStatus), default=PilotStatus.PLANNED, index=True)
    start_date: Mapped[date | None]
    end_date: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    challenge: Mapped[Challenge | None] = relationship()
    lead_city: Mapped[City | None] = relationship()

    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}
