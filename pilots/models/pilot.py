"""Pilots: the selected challenges the cities work on together, with their participating cities, milestones,
published datasets and the conformance checks of those datasets."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pilots.models.base import Base, enum_column, utcnow
from pilots.models.challenge import Challenge
from pilots.models.city import City
from pilots.models.user import User


class PilotStatus(enum.StrEnum):
    PLANNED = "planned"
    ACTIVE = "active"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class ParticipantRole(enum.StrEnum):
    LEAD = "lead"
    PARTICIPANT = "participant"
    OBSERVER = "observer"


class Stage(enum.StrEnum):
    INTERESTED = "interested"
    COMMITTED = "committed"
    PUBLISHING = "publishing"
    PUBLISHED = "published"
    WITHDRAWN = "withdrawn"


class MilestoneStatus(enum.StrEnum):
    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    BLOCKED = "blocked"


pilot_leads = sa.Table(
    "pilot_leads",
    Base.metadata,
    sa.Column("pilot_id", sa.ForeignKey("pilots.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("user_id", sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
)


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
    leads: Mapped[list[User]] = relationship(secondary=pilot_leads, order_by="User.name")
    participants: Mapped[list[Participation]] = relationship(
        back_populates="pilot", cascade="all, delete-orphan", order_by="Participation.id"
    )
    milestones: Mapped[list[Milestone]] = relationship(
        back_populates="pilot", cascade="all, delete-orphan", order_by="Milestone.due_date, Milestone.id"
    )
    datasets: Mapped[list[PublishedDataset]] = relationship(
        back_populates="pilot", cascade="all, delete-orphan", order_by="PublishedDataset.id"
    )
    updates: Mapped[list[PilotUpdate]] = relationship(
        back_populates="pilot", cascade="all, delete-orphan", order_by="PilotUpdate.created_at.desc()"
    )

    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}


class Participation(Base):
    """A city in a pilot: its role, whether the lead accepted it, and its stage."""

    __tablename__ = "participations"
    __table_args__ = (sa.UniqueConstraint("pilot_id", "city_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    pilot_id: Mapped[int] = mapped_column(sa.ForeignKey("pilots.id", ondelete="CASCADE"), index=True)
    city_id: Mapped[int] = mapped_column(sa.ForeignKey("cities.id"), index=True)
    role: Mapped[ParticipantRole] = mapped_column(enum_column(ParticipantRole), default=ParticipantRole.PARTICIPANT)
    accepted: Mapped[bool] = mapped_column(default=False)
    stage: Mapped[Stage] = mapped_column(enum_column(Stage), default=Stage.INTERESTED)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    pilot: Mapped[Pilot] = relationship(back_populates="participants")
    city: Mapped[City] = relationship(lazy="joined", innerjoin=True)
    stage_changes: Mapped[list[StageChange]] = relationship(
        back_populates="participation", cascade="all, delete-orphan", order_by="StageChange.changed_at"
    )


class StageChange(Base):
    __tablename__ = "stage_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    participation_id: Mapped[int] = mapped_column(sa.ForeignKey("participations.id", ondelete="CASCADE"), index=True)
    stage: Mapped[Stage] = mapped_column(enum_column(Stage))
    changed_on: Mapped[date]
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)

    participation: Mapped[Participation] = relationship(back_populates="stage_changes")


class Milestone(Base):
    """Shared (one status for the pilot) or per city (one status for each participating city)."""

    __tablename__ = "milestones"

    id: Mapped[int] = mapped_column(primary_key=True)
    pilot_id: Mapped[int] = mapped_column(sa.ForeignKey("pilots.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(sa.String(160))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    start_date: Mapped[date | None]
    due_date: Mapped[date]
    per_city: Mapped[bool] = mapped_column(default=False)
    weight: Mapped[float] = mapped_column(default=1.0)
    status: Mapped[MilestoneStatus] = mapped_column(enum_column(MilestoneStatus), default=MilestoneStatus.PLANNED)
    blocked_reason: Mapped[str | None] = mapped_column(sa.String(500))
    completed_on: Mapped[date | None]
    version: Mapped[int] = mapped_column(default=1)

    pilot: Mapped[Pilot] = relationship(back_populates="milestones")
    city_statuses: Mapped[list[MilestoneCity]] = relationship(
        back_populates="milestone", cascade="all, delete-orphan", order_by="MilestoneCity.id"
    )

    __mapper_args__ = {"version_id_col": version}


class MilestoneCity(Base):
    __tablename__ = "milestone_cities"
    __table_args__ = (sa.UniqueConstraint("milestone_id", "city_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    milestone_id: Mapped[int] = mapped_column(sa.ForeignKey("milestones.id", ondelete="CASCADE"), index=True)
    city_id: Mapped[int] = mapped_column(sa.ForeignKey("cities.id"))
    status: Mapped[MilestoneStatus] = mapped_column(enum_column(MilestoneStatus), default=MilestoneStatus.PLANNED)
    blocked_reason: Mapped[str | None] = mapped_column(sa.String(500))
    completed_on: Mapped[date | None]

    milestone: Mapped[Milestone] = relationship(back_populates="city_statuses")
    city: Mapped[City] = relationship(lazy="joined", innerjoin=True)


class PublishedDataset(Base):
    """A dataset a city publishes in a pilot, described with the DCAT-AP fields."""

    __tablename__ = "published_datasets"

    id: Mapped[int] = mapped_column(primary_key=True)
    pilot_id: Mapped[int] = mapped_column(sa.ForeignKey("pilots.id", ondelete="CASCADE"), index=True)
    city_id: Mapped[int] = mapped_column(sa.ForeignKey("cities.id"), index=True)
    title_nl: Mapped[str] = mapped_column(sa.String(200))
    title_en: Mapped[str] = mapped_column(sa.String(200), default="")
    description_nl: Mapped[str] = mapped_column(sa.Text, default="")
    description_en: Mapped[str] = mapped_column(sa.Text, default="")
    contact_email: Mapped[str] = mapped_column(sa.String(254))
    keywords: Mapped[str] = mapped_column(sa.String(500), default="")  # comma-separated
    theme: Mapped[str] = mapped_column(sa.String(8))
    access_url: Mapped[str] = mapped_column(sa.String(500))
    download_url: Mapped[str | None] = mapped_column(sa.String(500))
    file_type: Mapped[str] = mapped_column(sa.String(32))
    licence: Mapped[str] = mapped_column(sa.String(200))
    conforms_to: Mapped[str | None] = mapped_column(sa.String(200))
    frequency: Mapped[str] = mapped_column(sa.String(16), default="UNKNOWN")
    realtime: Mapped[bool] = mapped_column(default=False)
    issued: Mapped[date | None]
    modified: Mapped[datetime | None]
    language: Mapped[str] = mapped_column(sa.String(5), default="nl")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(default=1)
    #: When someone asked for a check that a worker has not finished yet (None: no check waiting). Written with
    #: plain UPDATEs that leave ``version`` alone: a check in the background is no edit of the dataset.
    check_requested_at: Mapped[datetime | None]

    pilot: Mapped[Pilot] = relationship(back_populates="datasets")
    city: Mapped[City] = relationship(lazy="joined", innerjoin=True)
    checks: Mapped[list[DatasetCheck]] = relationship(
        back_populates="dataset", cascade="all, delete-orphan", order_by="DatasetCheck.checked_at.desc()"
    )

    __mapper_args__ = {"version_id_col": version}

    def title(self, locale: str) -> str:
        return self.title_en if locale == "en" and self.title_en else self.title_nl

    def description(self, locale: str) -> str:
        return self.description_en if locale == "en" and self.description_en else self.description_nl


class DatasetCheck(Base):
    """One run of the conformance checker against a published dataset: kept as history."""

    __tablename__ = "dataset_checks"

    id: Mapped[int] = mapped_column(primary_key=True)
    dataset_id: Mapped[int] = mapped_column(sa.ForeignKey("published_datasets.id", ondelete="CASCADE"), index=True)
    checked_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    passed: Mapped[bool] = mapped_column(default=False)
    report: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    checked_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    dataset: Mapped[PublishedDataset] = relationship(back_populates="checks")


class PilotUpdate(Base):
    """A short update a pilot lead posts (Markdown)."""

    __tablename__ = "pilot_updates"

    id: Mapped[int] = mapped_column(primary_key=True)
    pilot_id: Mapped[int] = mapped_column(sa.ForeignKey("pilots.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    pilot: Mapped[Pilot] = relationship(back_populates="updates")
    author: Mapped[User | None] = relationship(lazy="joined")
