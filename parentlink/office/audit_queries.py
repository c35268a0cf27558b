"""The audit log page: newest first, filtered in SQL, one page at a time (keyset: the page
after holds events older than the last one shown), the total counted in SQL."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select

from parentlink.core.audit import AuditEvent
from parentlink.db import db

PER_PAGE = 50
LONDON = ZoneInfo("Europe/London")


@dataclass
class AuditPage:
    events: list[AuditEvent]
    total: int
    older_than: int | None  # the `before` of the next (older) page, if there is one


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time(0, 0), LONDON).astimezone(UTC)


def audit_page(
    school_id: int,
    *,
    action: str | None = None,
    actor: str | None = None,
    prefixes: tuple[str, ...] = (),
    since: date | None = None,
    until: date | None = None,
    before: int | None = None,
    per_page: int = PER_PAGE,
) -> AuditPage:
    # Concerns are the DSL's: their events (a parent's report, alerts, exports) never show
    # here, where administrators read; the DSL keeps each concern's own chronology.
    conditions = [AuditEvent.school_id == school_id, ~AuditEvent.action.like("concern.%")]
    if action:
        conditions.append(AuditEvent.action.like(_escape_like(action) + "%", escape="\\"))
    if prefixes:  # a kind of action: any of these codes
        conditions.append(
            or_(*(AuditEvent.action.like(_escape_like(p) + "%", escape="\\") for p in prefixes))
        )
    if actor == "contacts":
        conditions.append(AuditEvent.actor.like("contact:%"))
    elif actor:
        conditions.append(AuditEvent.actor == actor)
    if since:
        conditions.append(AuditEvent.at >= _start_of(since))
    if until:
        conditions.append(AuditEvent.at < _start_of(until + timedelta(days=1)))
    total = db.session.scalar(select(func.count(AuditEvent.id)).where(*conditions))
    if before is not None:
        conditions.append(AuditEvent.id < before)
    events = list(
        db.session.scalars(
            select(AuditEvent).where(*conditions).order_by(AuditEvent.id.desc()).limit(per_page + 1)
        )
    )
    older = events[per_page - 1].id if len(events) > per_page else None
    return AuditPage(events[:per_page], total, older)
