"""Cities taking part in the programme."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pilots.models.base import Base, enum_column, utcnow

if TYPE_CHECKING:
    from pilots.models.user import Membership


class CityKind(enum.StrEnum):
    CENTRUMSTAD = "centrumstad"
    VGC = "vgc"
    OTHER = "other"


class City(Base):
    __tablename__ = "cities"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120), unique=True)
    slug: Mapped[str] = mapped_column(sa.String(64), unique=True)
    nis_code: Mapped[str | None] = mapped_column(sa.String(5), unique=True)
    province: Mapped[str] = mapped_column(sa.String(64), default="")
    kind: Mapped[CityKind] = mapped_column(enum_column(CityKind), default=CityKind.CENTRUMSTAD)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    memberships: Mapped[list[Membership]] = relationship(back_populates="city")

    __mapper_args__ = {"version_id_col": version}

    def __repr__(self) -> str:
        return f"<City {self.slug}>"
