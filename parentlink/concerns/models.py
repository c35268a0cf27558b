"""Concerns that parents report. Only the DSL role reads them."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from parentlink.core.clock import now
from parentlink.core.states import check_transition
from parentlink.db import db


class ConcernCategory(enum.Enum):
    CYBERBULLYING = "cyberbullying"
    POST_ABOUT_SCHOOL_OR_CHILD = "post-about-school-or-child"
    CHILD_ONLINE_WORRY = "child-online-worry"
    PRIVACY_OR_PHOTO = "privacy-or-photo"
    OTHER = "other"


class ConcernStatus(enum.Enum):
    NEW = "new"
    ACKNOWLEDGED = "acknowledged"
    IN_PROGRESS = "in-progress"
    CLOSED = "closed"


CONCERN_TRANSITIONS = {
    ConcernStatus.NEW: frozenset(
        {ConcernStatus.ACKNOWLEDGED, ConcernStatus.IN_PROGRESS, ConcernStatus.CLOSED}
    ),
    ConcernStatus.ACKNOWLEDGED: frozenset({ConcernStatus.IN_PROGRESS, ConcernStatus.CLOSED}),
    ConcernStatus.IN_PROGRESS: frozenset({ConcernStatus.CLOSED}),
}


class Concern(db.Model):
    __tablename__ = "concern"

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contact.id"), index=True)
    pupil_id: Mapped[int | None] = mapped_column(ForeignKey("pupil.id"), index=True)
    category: Mapped[ConcernCategory]
    description: Mapped[str] = mapped_column(Text)
    platform: Mapped[str | None] = mapped_column(String(100))
    happened_on: Mapped[date | None]
    status: Mapped[ConcernStatus] = mapped_column(default=ConcernStatus.NEW)
    reported_at: Mapped[datetime] = mapped_column(default=now)
    acknowledged_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    alerted_at: Mapped[datetime | None]

    def move_to(self, target: ConcernStatus, at: datetime) -> None:
        check_transition(self.status, target, CONCERN_TRANSITIONS)
        self.status = target
        if target is ConcernStatus.ACKNOWLEDGED:
            self.acknowledged_at = at
        elif target is ConcernStatus.CLOSED:
            self.closed_at = at
