"""Reads for the office's messaging pages (the pages themselves belong to the office)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select

from parentlink.core.audit import AuditEvent
from parentlink.core.clock import now
from parentlink.db import db
from parentlink.directory.models import Contact
from parentlink.messaging.bounces import NOTICE_DAYS, SENDER_NOTICE
from parentlink.messaging.models import InboundMessage


@dataclass(frozen=True)
class InboxRow:
    message: InboundMessage
    contact_name: str | None  # None: a number we do not know


@dataclass(frozen=True)
class InboxPage:
    rows: list[InboxRow]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def inbox_page(school_id: int, page: int = 1, per_page: int = 50) -> InboxPage:
    """Parents' texts to the school, newest first, one page at a time (keywords included:
    the office should see who replied STOP)."""
    page, per_page = max(page, 1), min(max(per_page, 1), 200)
    where = InboundMessage.school_id == school_id
    total = db.session.scalar(select(func.count(InboundMessage.id)).where(where)) or 0
    rows = db.session.execute(
        select(InboundMessage, Contact.first_name, Contact.last_name)
        .outerjoin(Contact, Contact.id == InboundMessage.contact_id)
        .where(where)
        .order_by(InboundMessage.received_at.desc(), InboundMessage.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return InboxPage(
        [InboxRow(m, f"{first} {last}" if first else None) for m, first, last in rows],
        page,
        per_page,
        total,
    )


def unread_count(school_id: int) -> int:
    return (
        db.session.scalar(
            select(func.count(InboundMessage.id)).where(
                InboundMessage.school_id == school_id, InboundMessage.read_at.is_(None)
            )
        )
        or 0
    )


@dataclass(frozen=True)
class SenderProblem:
    problem: str  # what the receiving servers said is wrong with our mail
    fix: str
    at: datetime  # when it was last told


def sender_problems(school_id: int) -> list[SenderProblem]:
    """Recent refusals of the school's own mail (SPF, DKIM, DMARC, reputation), newest first:
    every email to those providers bounces until IT fixes it, so administrators see them."""
    events = db.session.scalars(
        select(AuditEvent)
        .where(
            AuditEvent.school_id == school_id,
            AuditEvent.action == SENDER_NOTICE,
            AuditEvent.at > now() - timedelta(days=NOTICE_DAYS),
        )
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    )
    problems: dict[str, SenderProblem] = {}
    for event in events:
        detail = json.loads(event.detail or "{}")
        if event.subject not in problems:
            problems[event.subject] = SenderProblem(
                detail.get("problem", ""), detail.get("fix", ""), event.at
            )
    return list(problems.values())
