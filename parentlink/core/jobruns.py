"""A record of every scheduled job run, so the office sees what ran and what failed."""

from __future__ import annotations

import enum
import json
from datetime import datetime

from sqlalchemy import Index, String, Text, func, select
from sqlalchemy.orm import Mapped, mapped_column

from parentlink.db import db


class JobOutcome(enum.Enum):
    RUNNING = "running"
    OK = "ok"
    FAILED = "failed"


class JobRun(db.Model):
    __tablename__ = "job_run"
    __table_args__ = (Index("ix_job_run_job_started_at", "job", "started_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(String(64))
    host: Mapped[str] = mapped_column(String(120))
    pid: Mapped[int]
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    outcome: Mapped[JobOutcome] = mapped_column(default=JobOutcome.RUNNING)
    counts: Mapped[str | None] = mapped_column(Text)  # JSON
    error: Mapped[str | None] = mapped_column(String(500))

    def finish(self, at: datetime, counts: dict | None) -> None:
        self.finished_at = at
        self.outcome = JobOutcome.OK
        self.counts = json.dumps(counts, sort_keys=True, default=str) if counts else None

    def fail(self, at: datetime, error: str) -> None:
        self.finished_at = at
        self.outcome = JobOutcome.FAILED
        self.error = error[:500]


def last_runs() -> list[JobRun]:
    """The latest run of each job (one query, whatever the history's length)."""
    latest = select(JobRun.job, func.max(JobRun.id).label("id")).group_by(JobRun.job).subquery()
    return list(
        db.session.scalars(
            select(JobRun).join(latest, latest.c.id == JobRun.id).order_by(JobRun.job)
        )
    )
