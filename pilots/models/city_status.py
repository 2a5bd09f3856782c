"""A city's open-data status: where it stands on each of the 20 principles of the Flemish open-data charter, and
its yearly maturity self-assessment on the six domains of the programme's quick scan.

The self-assessment is for the city's own progress over the years; the platform never ranks cities on it.
"""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pilots.models.base import Base, enum_column, utcnow
from pilots.models.city import City
from pilots.models.user import User

#: The charter's principles are numbered 1 to 20.
PRINCIPLES = range(1, 21)

#: The six domains of the quick scan, in the order the programme lists them (stable keys, stored in the database).
MATURITY_DOMAINS = (
    "data_strategy",  # strategy and vision on data
    "open_data_strategy",  # strategy and vision on open data
    "organisation",  # organisational embedding
    "working_with_data",  # working with data
    "technology",  # technology and (infrastructure) procurement
    "stakeholders",  # stakeholder management
)

#: Scores of the self-assessment: whole numbers from 1 to 5.
SCORES = range(1, 6)

#: The first year of the programme: self-assessments start then.
FIRST_ASSESSMENT_YEAR = 2017


class CharterLevel(enum.StrEnum):
    ADOPTED = "adopted"
    PARTLY = "partly"
    NOT_YET = "not_yet"


class CharterStatus(Base):
    """Where one city stands on one principle of the charter, with a note. No row: not filled in yet."""

    __tablename__ = "charter_statuses"
    __table_args__ = (
        sa.UniqueConstraint("city_id", "principle"),
        sa.CheckConstraint("principle >= 1 AND principle <= 20", name="principle_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    city_id: Mapped[int] = mapped_column(sa.ForeignKey("cities.id"))  # indexed by the unique constraint
    principle: Mapped[int]
    status: Mapped[CharterLevel] = mapped_column(enum_column(CharterLevel))
    note: Mapped[str] = mapped_column(sa.String(1000), default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    version: Mapped[int] = mapped_column(default=1)

    city: Mapped[City] = relationship()
    updated_by: Mapped[User | None] = relationship()

    __mapper_args__ = {"version_id_col": version}

    def __repr__(self) -> str:
        return f"<CharterStatus city={self.city_id} principle={self.principle} {self.status}>"


class MaturityAssessment(Base):
    """One city's self-assessment of one year: a score per domain (see :class:`MaturityScore`), saved at once."""

    __tablename__ = "maturity_assessments"
    __table_args__ = (
        sa.UniqueConstraint("city_id", "year"),
        sa.CheckConstraint("year >= 2017", name="year_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    city_id: Mapped[int] = mapped_column(sa.ForeignKey("cities.id"))  # indexed by the unique constraint
    year: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    version: Mapped[int] = mapped_column(default=1)

    city: Mapped[City] = relationship()
    updated_by: Mapped[User | None] = relationship()
    scores: Mapped[list[MaturityScore]] = relationship(
        back_populates="assessment", cascade="all, delete-orphan", order_by="MaturityScore.id"
    )

    # Every save bumps the version (the service does it, also when only a domain's score or note changed), so two
    # people of one city editing the same year cannot overwrite each other.
    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}

    def score_of(self, domain: str) -> MaturityScore | None:
        return next((score for score in self.scores if score.domain == domain), None)

    def __repr__(self) -> str:
        return f"<MaturityAssessment city={self.city_id} {self.year}>"


class MaturityScore(Base):
    __tablename__ = "maturity_scores"
    __table_args__ = (
        sa.UniqueConstraint("assessment_id", "domain"),
        sa.CheckConstraint("score >= 1 AND score <= 5", name="score_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(sa.ForeignKey("maturity_assessments.id", ondelete="CASCADE"))
    domain: Mapped[str] = mapped_column(sa.String(32))
    score: Mapped[int]
    note: Mapped[str] = mapped_column(sa.String(1000), default="")

    assessment: Mapped[MaturityAssessment] = relationship(back_populates="scores")
