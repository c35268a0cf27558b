"""Reads for the concern pages: the DSL's inbox and record, the parent's statuses, the CSV."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from parentlink.concerns.models import Concern, ConcernStatus, ConcernView
from parentlink.db import db

PER_PAGE = 25


def status_counts(school_id: int) -> dict[ConcernStatus, int]:
    rows = db.session.execute(
        select(Concern.status, func.count())
        .where(Concern.school_id == school_id)
        .group_by(Concern.status)
    )
    counts = dict.fromkeys(ConcernStatus, 0)
    counts.update({status: count for status, count in rows})
    return counts


def inbox(school_id: int, status: ConcernStatus, page: int, per_page: int = PER_PAGE):
    """One page of concerns in this status; new ones oldest first (they wait longest)."""
    order = Concern.reported_at.desc() if status is ConcernStatus.CLOSED else Concern.reported_at
    query = (
        select(Concern)
        .where(Concern.school_id == school_id, Concern.status == status)
        .options(selectinload(Concern.pupil), selectinload(Concern.assigned_to))
        .order_by(order, Concern.id)
    )
    return db.paginate(query, page=page, per_page=per_page, error_out=False, count=True)


def concern_in_school(school_id: int, concern_id: int) -> Concern | None:
    return db.session.scalar(
        select(Concern).where(Concern.id == concern_id, Concern.school_id == school_id)
    )


def concern_of_contact(contact_id: int, reference: str) -> Concern | None:
    return db.session.scalar(
        select(Concern).where(Concern.contact_id == contact_id, Concern.reference == reference)
    )


def same_report_since(contact_id: int, description: str, since: datetime) -> Concern | None:
    """The same words from the same parent a moment ago: a double tap, not a new concern."""
    return db.session.scalar(
        select(Concern)
        .where(
            Concern.contact_id == contact_id,
            Concern.description == description,
            Concern.reported_at >= since,
        )
        .limit(1)
    )


def concerns_of_contact(contact_id: int, limit: int = 20) -> list[Concern]:
    return list(
        db.session.scalars(
            select(Concern)
            .where(Concern.contact_id == contact_id)
            .order_by(Concern.reported_at.desc(), Concern.id.desc())
            .limit(limit)
        )
    )


def views_of(concern_id: int, limit: int = 50) -> list[ConcernView]:
    return list(
        db.session.scalars(
            select(ConcernView)
            .where(ConcernView.concern_id == concern_id)
            .options(selectinload(ConcernView.staff))
            .order_by(ConcernView.at.desc(), ConcernView.id.desc())
            .limit(limit)
        )
    )


def all_concerns(school_id: int, batch: int = 500) -> Iterator[Concern]:
    """Every concern of the school, streamed in id order for the CSV export."""
    query = (
        select(Concern)
        .where(Concern.school_id == school_id)
        .options(
            selectinload(Concern.pupil),
            selectinload(Concern.contact),
            selectinload(Concern.assigned_to),
        )
        .order_by(Concern.id)
        .execution_options(yield_per=batch)
    )
    yield from db.session.scalars(query)
