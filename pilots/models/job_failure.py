"""Background work that did not happen: a job that failed for good, or one the queue did not take."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from pilots.models.base import Base, enum_column, utcnow


class FailureKind(enum.StrEnum):
    FAILED = "failed"  # the job raised and has no retries left (or its worker stopped during it too often)
    NOT_QUEUED = "not_queued"  # the queue could not be reached when the job was started


class JobFailure(Base):
    """One job that did not do its work (written by :mod:`pilots.jobs`, in a transaction of its own). ``args`` is
    a summary that keeps numbers (ids) and leaves texts out, so no address, token or e-mail body is stored."""

    __tablename__ = "job_failures"

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(sa.String(64))  # the job's name in pilots.jobs.tasks (e.g. "check_dataset")
    kind: Mapped[FailureKind] = mapped_column(enum_column(FailureKind, 16))
    args: Mapped[str] = mapped_column(sa.String(200), default="")
    error: Mapped[str] = mapped_column(sa.String(500), default="")  # the exception's type and first words
    task_id: Mapped[str | None] = mapped_column(sa.String(64))  # Huey's id, as in the worker's log; None: not queued
    failed_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
