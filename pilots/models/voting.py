"""Voting rounds: criteria, the frozen ballot of challenges, each city's ballot of scores, and the snapshot
from which the published result is computed."""

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


class RoundPhase(enum.StrEnum):
    DRAFT = "draft"
    PROPOSALS_OPEN = "proposals_open"
    VOTING_OPEN = "voting_open"
    CLOSED = "closed"
    PUBLISHED = "published"


#: The order in which the steering committee moves a round.
PHASE_ORDER = (RoundPhase.DRAFT, RoundPhase.PROPOSALS_OPEN, RoundPhase.VOTING_OPEN, RoundPhase.CLOSED, RoundPhase.PUBLISHED)


class Direction(enum.StrEnum):
    BENEFIT = "benefit"
    COST = "cost"


class WeightSource(enum.StrEnum):
    """Whose weights the round ranks with: the committee's own, or the geometric mean of the cities' weights."""

    COMMITTEE = "committee"
    CITIES = "cities"


class TieBreak(enum.StrEnum):
    """How equal scores are ordered, fixed before voting opens (docs/ranking.md, "Contract version 2")."""

    DEFAULT = "default"  # the engine's own chain: aggregate, then the lowest id
    FIRST_CRITERION_THEN_DRAW = "first_criterion_then_draw"  # higher mean on the first criterion, then a seeded draw


class EffortUnit(enum.StrEnum):
    PERSON_MONTHS = "person_months"
    RELATIVE = "relative"  # a relative size, e.g. 1 (small) to 5 (large)


class BallotStatus(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"


class Round(Base):
    __tablename__ = "rounds"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(160))
    year: Mapped[int] = mapped_column(index=True)
    pilots_to_select: Mapped[int] = mapped_column(default=2)
    phase: Mapped[RoundPhase] = mapped_column(enum_column(RoundPhase), default=RoundPhase.DRAFT, index=True)
    # Planned dates, shown on the timeline; the committee moves the phase itself.
    proposals_deadline: Mapped[date | None]
    voting_deadline: Mapped[date | None]
    # Options
    allow_self_scoring: Mapped[bool] = mapped_column(default=False)
    quorum: Mapped[int | None]  # None: half the cities taking part, rounded up
    ballots_confidential: Mapped[bool] = mapped_column(default=False)
    method: Mapped[str] = mapped_column(sa.String(16), default="wsm")
    normalization: Mapped[str] = mapped_column(sa.String(16), default="scale")
    sensitivity_samples: Mapped[int] = mapped_column(default=10_000)
    perturbation: Mapped[float] = mapped_column(default=0.2)
    seed: Mapped[int] = mapped_column(default=1)
    # Group decisions (issue 15): whose weights, how ties are broken, and what the cities can take on.
    weight_source: Mapped[WeightSource] = mapped_column(
        enum_column(WeightSource, 16), default=WeightSource.COMMITTEE, server_default=WeightSource.COMMITTEE.value
    )
    tie_break: Mapped[TieBreak] = mapped_column(
        enum_column(TieBreak, 40), default=TieBreak.DEFAULT, server_default=TieBreak.DEFAULT.value
    )
    effort_unit: Mapped[EffortUnit] = mapped_column(
        enum_column(EffortUnit, 16), default=EffortUnit.PERSON_MONTHS, server_default=EffortUnit.PERSON_MONTHS.value
    )
    capacity: Mapped[float | None]  # the total effort the selection may take; None: no limit
    # Delphi (issue 15): the cities score, see the anonymised spread of the first pass, and may revise until the
    # revision deadline; ``delphi_pass`` is 2 once the first pass has been closed.
    delphi: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    revision_deadline: Mapped[date | None]
    delphi_pass: Mapped[int] = mapped_column(default=1, server_default="1")
    # AHP pairwise judgements, {"<criterion id>:<criterion id>": value}, when the weights were derived that way.
    ahp_judgements: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    # When each phase started
    proposals_opened_at: Mapped[datetime | None]
    voting_opened_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    published_at: Mapped[datetime | None]
    # The committee's decision on the selection
    confirmed_at: Mapped[datetime | None]
    confirmed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    override_justification: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    criteria: Mapped[list[Criterion]] = relationship(
        back_populates="round", cascade="all, delete-orphan", order_by="Criterion.position, Criterion.id"
    )
    entries: Mapped[list[BallotEntry]] = relationship(
        back_populates="round", cascade="all, delete-orphan", order_by="BallotEntry.position, BallotEntry.id"
    )
    ballots: Mapped[list[Ballot]] = relationship(back_populates="round", cascade="all, delete-orphan")
    snapshot: Mapped[RoundSnapshot | None] = relationship(back_populates="round", cascade="all, delete-orphan", uselist=False)
    confirmed_by: Mapped[User | None] = relationship()

    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}

    def at_least(self, phase: RoundPhase) -> bool:
        return PHASE_ORDER.index(self.phase) >= PHASE_ORDER.index(phase)


class Criterion(Base):
    __tablename__ = "criteria"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(sa.ForeignKey("rounds.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    key: Mapped[str] = mapped_column(sa.String(40))  # stable id in the snapshot, e.g. "impact"
    name_nl: Mapped[str] = mapped_column(sa.String(120))
    name_en: Mapped[str] = mapped_column(sa.String(120))
    description_nl: Mapped[str] = mapped_column(sa.Text, default="")
    description_en: Mapped[str] = mapped_column(sa.Text, default="")
    weight: Mapped[float] = mapped_column(default=1.0)
    direction: Mapped[Direction] = mapped_column(enum_column(Direction), default=Direction.BENEFIT)
    scale_min: Mapped[float] = mapped_column(default=1.0)
    scale_max: Mapped[float] = mapped_column(default=5.0)
    integer_scale: Mapped[bool] = mapped_column(default=True)
    # Anchored scale: what the lowest and the highest score mean, shown on the ballot beside the cells.
    anchor_low_nl: Mapped[str] = mapped_column(sa.String(200), default="", server_default="")
    anchor_low_en: Mapped[str] = mapped_column(sa.String(200), default="", server_default="")
    anchor_high_nl: Mapped[str] = mapped_column(sa.String(200), default="", server_default="")
    anchor_high_en: Mapped[str] = mapped_column(sa.String(200), default="", server_default="")

    round: Mapped[Round] = relationship(back_populates="criteria")

    __table_args__ = (sa.UniqueConstraint("round_id", "key"),)

    def name(self, locale: str) -> str:
        return self.name_en if locale == "en" and self.name_en else self.name_nl

    def description(self, locale: str) -> str:
        return self.description_en if locale == "en" and self.description_en else self.description_nl

    def anchor_low(self, locale: str) -> str:
        return self.anchor_low_en if locale == "en" and self.anchor_low_en else self.anchor_low_nl

    def anchor_high(self, locale: str) -> str:
        return self.anchor_high_en if locale == "en" and self.anchor_high_en else self.anchor_high_nl


class BallotEntry(Base):
    """A challenge on a round's ballot. The list is frozen when voting opens."""

    __tablename__ = "ballot_entries"
    __table_args__ = (sa.UniqueConstraint("round_id", "challenge_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(sa.ForeignKey("rounds.id", ondelete="CASCADE"), index=True)
    challenge_id: Mapped[int] = mapped_column(sa.ForeignKey("challenges.id"), index=True)
    position: Mapped[int] = mapped_column(default=0)

    round: Mapped[Round] = relationship(back_populates="entries")
    challenge: Mapped[Challenge] = relationship(lazy="joined", innerjoin=True)


class Ballot(Base):
    """One city's ballot in one round, filled in by that city's voters."""

    __tablename__ = "ballots"
    __table_args__ = (sa.UniqueConstraint("round_id", "city_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(sa.ForeignKey("rounds.id", ondelete="CASCADE"), index=True)
    city_id: Mapped[int] = mapped_column(sa.ForeignKey("cities.id"), index=True)
    status: Mapped[BallotStatus] = mapped_column(enum_column(BallotStatus), default=BallotStatus.DRAFT)
    submitted_at: Mapped[datetime | None]
    submitted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    version: Mapped[int] = mapped_column(default=1)
    # The city's own weights when the round ranks with the cities' weights: {criterion key: weight}, and the
    # pairwise judgements they were derived from ({"<key>:<key>": value}) when the city compared the criteria.
    weights: Mapped[dict[str, float] | None] = mapped_column(sa.JSON)
    weight_judgements: Mapped[dict[str, float] | None] = mapped_column(sa.JSON)

    round: Mapped[Round] = relationship(back_populates="ballots")
    city: Mapped[City] = relationship(lazy="joined", innerjoin=True)
    scores: Mapped[list[Score]] = relationship(back_populates="ballot", cascade="all, delete-orphan")
    notes: Mapped[list[BallotNote]] = relationship(back_populates="ballot", cascade="all, delete-orphan")
    submitted_by: Mapped[User | None] = relationship(foreign_keys=[submitted_by_id])

    # Every save bumps the version: two voters of one city editing at once cannot overwrite each other.
    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}


class Score(Base):
    __tablename__ = "scores"
    __table_args__ = (sa.UniqueConstraint("ballot_id", "challenge_id", "criterion_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ballot_id: Mapped[int] = mapped_column(sa.ForeignKey("ballots.id", ondelete="CASCADE"), index=True)
    challenge_id: Mapped[int] = mapped_column(sa.ForeignKey("challenges.id"))
    criterion_id: Mapped[int] = mapped_column(sa.ForeignKey("criteria.id", ondelete="CASCADE"))
    value: Mapped[float]
    # Delphi: the value at the end of the first pass (None: not scored then, or no Delphi pass), and the city's
    # reason for a different value in the second pass.
    first_value: Mapped[float | None]
    revision_reason: Mapped[str] = mapped_column(sa.String(300), default="", server_default="")

    ballot: Mapped[Ballot] = relationship(back_populates="scores")


class BallotNote(Base):
    """A city's optional comment on one challenge in its ballot."""

    __tablename__ = "ballot_notes"
    __table_args__ = (sa.UniqueConstraint("ballot_id", "challenge_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ballot_id: Mapped[int] = mapped_column(sa.ForeignKey("ballots.id", ondelete="CASCADE"), index=True)
    challenge_id: Mapped[int] = mapped_column(sa.ForeignKey("challenges.id"))
    text: Mapped[str] = mapped_column(sa.String(1000))

    ballot: Mapped[Ballot] = relationship(back_populates="notes")


class Pledge(Base):
    """Before the committee confirms the selection, a city says whether it would take part in a challenge's pilot."""

    __tablename__ = "pledges"
    __table_args__ = (sa.UniqueConstraint("round_id", "challenge_id", "city_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(sa.ForeignKey("rounds.id", ondelete="CASCADE"), index=True)
    challenge_id: Mapped[int] = mapped_column(sa.ForeignKey("challenges.id", ondelete="CASCADE"))
    city_id: Mapped[int] = mapped_column(sa.ForeignKey("cities.id"))
    taking_part: Mapped[bool]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    city: Mapped[City] = relationship(lazy="joined", innerjoin=True)


class RoundSnapshot(Base):
    """Frozen when the round closes: the ranking input as canonical JSON, its SHA-256, and the result."""

    __tablename__ = "round_snapshots"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(sa.ForeignKey("rounds.id", ondelete="CASCADE"), unique=True)
    document: Mapped[str] = mapped_column(sa.Text)  # canonical JSON of the ranking input
    sha256: Mapped[str] = mapped_column(sa.String(64))
    result: Mapped[str] = mapped_column(sa.Text)  # canonical JSON of the ranking output
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    round: Mapped[Round] = relationship(back_populates="snapshot")
