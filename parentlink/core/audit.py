"""Append-only audit log: who did what, when."""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from parentlink.core.clock import now
from parentlink.db import db


class AuditEvent(db.Model):
    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_event_school_id_at", "school_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int | None] = mapped_column(ForeignKey("school.id"))
    at: Mapped[datetime] = mapped_column(default=now)
    actor: Mapped[str] = mapped_column(String(120))  # "staff:3", "contact:17", "system:jobs"
    action: Mapped[str] = mapped_column(String(64))  # "campaign.launch", "staff.login"
    subject: Mapped[str | None] = mapped_column(String(120))  # "campaign:4"
    detail: Mapped[str | None] = mapped_column(Text)  # JSON


def record(
    action: str,
    *,
    actor: str,
    school_id: int | None = None,
    subject: str | None = None,
    **detail: object,
) -> AuditEvent:
    """Add an audit event to the current transaction (it commits with the change it records)."""
    event = AuditEvent(
        school_id=school_id,
        at=now(),
        actor=actor,
        action=action,
        subject=subject,
        detail=json.dumps(detail, default=str, sort_keys=True) if detail else None,
    )
    db.session.add(event)
    return event
