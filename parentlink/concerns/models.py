"""Concerns that parents report. Only the DSL role reads them."""

from __future__ import annotations

import enum
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, Index, String, Text, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

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


class ConcernUrgency(enum.Enum):
    ROUTINE = "routine"
    SOON = "soon"
    URGENT = "urgent"


class ConcernSource(enum.Enum):
    LINK = "link"  # the parent's own form
    SMS = "sms"  # an inbound text the office turned into a concern


# What the parent sees of each status: never more than this.
PARENT_STATUS = {  # what the parent sees, in their page's language
    "new": _l("Received"),
    "acknowledged": _l("Being looked at"),
    "in-progress": _l("Being looked at"),
    "closed": _l("Closed"),
}


CONCERN_TRANSITIONS = {
    ConcernStatus.NEW: frozenset(
        {ConcernStatus.ACKNOWLEDGED, ConcernStatus.IN_PROGRESS, ConcernStatus.CLOSED}
    ),
    ConcernStatus.ACKNOWLEDGED: frozenset({ConcernStatus.IN_PROGRESS, ConcernStatus.CLOSED}),
    ConcernStatus.IN_PROGRESS: frozenset({ConcernStatus.CLOSED}),
}


class Concern(db.Model):
    __tablename__ = "concern"
    __table_args__ = (
        Index("ix_concern_school_id_status_reported_at", "school_id", "status", "reported_at"),
    )

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
    source: Mapped[ConcernSource] = mapped_column(default=ConcernSource.LINK)
    urgency: Mapped[ConcernUrgency | None]
    assigned_to_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    outcome: Mapped[str | None] = mapped_column(Text)

    contact = relationship("Contact")
    pupil = relationship("Pupil")
    assigned_to = relationship("StaffUser")
    entries: Mapped[list[ConcernEntry]] = relationship(
        back_populates="concern", order_by="ConcernEntry.id"
    )
    attachments: Mapped[list[ConcernAttachment]] = relationship(
        back_populates="concern", order_by="ConcernAttachment.id"
    )

    @property
    def parent_status(self) -> str:
        return str(PARENT_STATUS[self.status.value])

    def move_to(self, target: ConcernStatus, at: datetime) -> None:
        check_transition(self.status, target, CONCERN_TRANSITIONS)
        self.status = target
        if target is ConcernStatus.ACKNOWLEDGED:
            self.acknowledged_at = at
        elif target is ConcernStatus.CLOSED:
            self.closed_at = at


class EntryKind(enum.Enum):
    REPORTED = "reported"
    NOTE = "note"
    CORRECTION = "correction"
    STATUS = "status"
    TRIAGE = "triage"
    ASSIGNMENT = "assignment"
    OUTCOME = "outcome"


class ConcernEntry(db.Model):
    """One line of the chronology. Never edited or deleted: a correction is a new entry."""

    __tablename__ = "concern_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"))
    concern_id: Mapped[int] = mapped_column(ForeignKey("concern.id"), index=True)
    at: Mapped[datetime] = mapped_column(default=now)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    author_label: Mapped[str] = mapped_column(String(200))  # "Jo Lead (DSL)", "Parent"
    kind: Mapped[EntryKind]
    text: Mapped[str] = mapped_column(Text)
    corrects_id: Mapped[int | None] = mapped_column(ForeignKey("concern_entry.id"))

    concern: Mapped[Concern] = relationship(back_populates="entries")


class AppendOnly(Exception):
    """A chronology entry or a view record cannot be changed or removed."""


@event.listens_for(ConcernEntry, "before_update")
@event.listens_for(ConcernEntry, "before_delete")
def _entries_are_append_only(mapper, connection, target) -> None:
    raise AppendOnly("a chronology entry is never edited or deleted; add a correction")


class ConcernView(db.Model):
    """Who looked at a concern, and when (the record, a print, an attachment, an export)."""

    __tablename__ = "concern_view"
    __table_args__ = (Index("ix_concern_view_concern_id_at", "concern_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"))
    concern_id: Mapped[int] = mapped_column(ForeignKey("concern.id"))
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"))
    at: Mapped[datetime] = mapped_column(default=now)
    what: Mapped[str] = mapped_column(String(40))  # "record", "print", "attachment:3", "export"

    staff = relationship("StaffUser")


@event.listens_for(ConcernView, "before_update")
@event.listens_for(ConcernView, "before_delete")
def _views_are_append_only(mapper, connection, target) -> None:
    raise AppendOnly("a view record is never edited or deleted")


class ConcernAttachment(db.Model):
    """A screenshot, re-encoded without its metadata, kept outside the web root."""

    __tablename__ = "concern_attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"))
    concern_id: Mapped[int] = mapped_column(ForeignKey("concern.id"), index=True)
    stored_name: Mapped[str] = mapped_column(String(80), unique=True)  # random, no user input
    content_type: Mapped[str] = mapped_column(String(40))  # image/png or image/jpeg
    size_bytes: Mapped[int]
    width: Mapped[int]
    height: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=now)

    concern: Mapped[Concern] = relationship(back_populates="attachments")
