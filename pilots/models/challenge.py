"""Challenges: urban problems a city proposes to tackle with data, with their candidate datasets,
co-sponsoring cities and discussion."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pilots.models.base import Base, enum_column, utcnow
from pilots.models.city import City
from pilots.models.user import User


class ChallengeStatus(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    WITHDRAWN = "withdrawn"
    ELIGIBLE = "eligible"
    INELIGIBLE = "ineligible"
    SELECTED = "selected"
    NOT_SELECTED = "not_selected"


#: Statuses in which a challenge is visible beyond its own city.
PUBLIC_STATUSES = frozenset(ChallengeStatus) - {ChallengeStatus.DRAFT}
#: Statuses in which the proposing city may still change it (a round's voting phase closes it further).
EDITABLE_STATUSES = frozenset(
    {ChallengeStatus.DRAFT, ChallengeStatus.SUBMITTED, ChallengeStatus.ELIGIBLE, ChallengeStatus.INELIGIBLE}
)
#: Statuses in which other cities can co-sponsor and everyone can discuss it.
OPEN_STATUSES = frozenset({ChallengeStatus.SUBMITTED, ChallengeStatus.ELIGIBLE, ChallengeStatus.INELIGIBLE})


class Availability(enum.StrEnum):
    NOT_COLLECTED = "not_collected"
    INTERNAL = "internal"
    OPEN = "open"


class Challenge(Base):
    __tablename__ = "challenges"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(160))
    summary: Mapped[str] = mapped_column(sa.String(500))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    theme: Mapped[str] = mapped_column(sa.String(8), index=True)
    expected_impact: Mapped[str] = mapped_column(sa.Text, default="")
    year: Mapped[int] = mapped_column(index=True)
    status: Mapped[ChallengeStatus] = mapped_column(enum_column(ChallengeStatus), default=ChallengeStatus.DRAFT, index=True)
    city_id: Mapped[int] = mapped_column(sa.ForeignKey("cities.id"), index=True)
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    screening_reason: Mapped[str | None] = mapped_column(sa.Text)
    # Estimated effort, recorded at screening, in the unit of the round it goes to (person-months or a relative size).
    effort: Mapped[float | None]
    screened_at: Mapped[datetime | None]
    screened_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    submitted_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    city: Mapped[City] = relationship(lazy="joined", innerjoin=True)
    author: Mapped[User | None] = relationship(foreign_keys=[author_id])
    screened_by: Mapped[User | None] = relationship(foreign_keys=[screened_by_id])
    datasets: Mapped[list[CandidateDataset]] = relationship(
        back_populates="challenge", cascade="all, delete-orphan", order_by="CandidateDataset.position, CandidateDataset.id"
    )
    cosponsors: Mapped[list[CoSponsorship]] = relationship(
        back_populates="challenge", cascade="all, delete-orphan", order_by="CoSponsorship.created_at"
    )
    comments: Mapped[list[Comment]] = relationship(
        back_populates="challenge", cascade="all, delete-orphan", order_by="Comment.created_at, Comment.id"
    )

    # Profile edits bump the version (services do it), so status changes by others do not make an open form stale.
    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}

    @property
    def is_public(self) -> bool:
        return self.status in PUBLIC_STATUSES

    def __repr__(self) -> str:
        return f"<Challenge {self.id} {self.title!r}>"


class CandidateDataset(Base):
    """A dataset that could help address a challenge: the proposing city's, another city's or an organisation's."""

    __tablename__ = "candidate_datasets"

    id: Mapped[int] = mapped_column(primary_key=True)
    challenge_id: Mapped[int] = mapped_column(sa.ForeignKey("challenges.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    title: Mapped[str] = mapped_column(sa.String(160))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    holder_city_id: Mapped[int | None] = mapped_column(sa.ForeignKey("cities.id"))
    holder_name: Mapped[str | None] = mapped_column(sa.String(160))
    availability: Mapped[Availability] = mapped_column(enum_column(Availability), default=Availability.NOT_COLLECTED)
    url: Mapped[str | None] = mapped_column(sa.String(500))
    file_type: Mapped[str | None] = mapped_column(sa.String(32))
    licence: Mapped[str | None] = mapped_column(sa.String(200))
    frequency: Mapped[str | None] = mapped_column(sa.String(16))
    realtime: Mapped[bool] = mapped_column(default=False)
    standard: Mapped[str | None] = mapped_column(sa.String(120))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    challenge: Mapped[Challenge] = relationship(back_populates="datasets")
    holder_city: Mapped[City | None] = relationship(lazy="joined")

    __mapper_args__ = {"version_id_col": version}

    @property
    def holder(self) -> str:
        return self.holder_city.name if self.holder_city else (self.holder_name or "")


class CoSponsorship(Base):
    """Another city says "we have this problem too"."""

    __tablename__ = "cosponsorships"
    __table_args__ = (sa.UniqueConstraint("challenge_id", "city_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    challenge_id: Mapped[int] = mapped_column(sa.ForeignKey("challenges.id", ondelete="CASCADE"), index=True)
    city_id: Mapped[int] = mapped_column(sa.ForeignKey("cities.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    note: Mapped[str] = mapped_column(sa.String(500), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    challenge: Mapped[Challenge] = relationship(back_populates="cosponsors")
    city: Mapped[City] = relationship(lazy="joined", innerjoin=True)
    user: Mapped[User | None] = relationship()


class Comment(Base):
    __tablename__ = "comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    challenge_id: Mapped[int] = mapped_column(sa.ForeignKey("challenges.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(sa.Text)
    hidden: Mapped[bool] = mapped_column(default=False)
    hidden_reason: Mapped[str | None] = mapped_column(sa.String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    edited_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(default=1)

    challenge: Mapped[Challenge] = relationship(back_populates="comments")
    author: Mapped[User | None] = relationship(lazy="joined")

    __mapper_args__ = {"version_id_col": version}
