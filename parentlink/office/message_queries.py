"""The message log and the data-quality list: filtered, paginated, counted in SQL."""

from __future__ import annotations

from sqlalchemy import exists, func, or_, select

from parentlink.db import db
from parentlink.directory.models import Contact, PupilContact, can_email, can_text
from parentlink.messaging.models import Message, MessageKind, MessageStatus
from parentlink.office.queries import PAGE_SIZE, Page


def message_log(
    school_id: int,
    *,
    status: MessageStatus | None = None,
    kind: MessageKind | None = None,
    channel: str | None = None,
    hidden_kinds: frozenset[MessageKind] = frozenset(),
    page: int = 1,
) -> Page:
    """`hidden_kinds`: kinds this reader may not see (concern traces, for all but the DSL)."""
    query = select(Message, Contact).outerjoin(Contact, Contact.id == Message.contact_id)
    query = query.where(Message.school_id == school_id)
    if hidden_kinds:
        query = query.where(Message.kind.not_in(hidden_kinds))
    if status is not None:
        query = query.where(Message.status == status)
    if kind is not None:
        query = query.where(Message.kind == kind)
    if channel in ("sms", "email"):
        query = query.where(Message.channel == channel)
    total = db.session.scalar(
        select(func.count()).select_from(query.with_only_columns(Message.id).subquery())
    )
    rows = db.session.execute(
        query.order_by(Message.id.desc()).limit(PAGE_SIZE).offset((max(page, 1) - 1) * PAGE_SIZE)
    ).all()
    return Page(list(rows), page, total)


BAD = (MessageStatus.BOUNCED, MessageStatus.FAILED, MessageStatus.UNDELIVERED)


def data_quality(school_id: int, *, page: int = 1) -> Page:
    """Carers the school may not reach: flagged, opted out, a message that failed, or no
    mobile and no email while holding parental responsibility."""
    failed = exists().where(Message.contact_id == Contact.id, Message.status.in_(BAD))
    has_pr = exists().where(
        PupilContact.contact_id == Contact.id, PupilContact.parental_responsibility.is_(True)
    )
    unreachable = ~or_(can_text(), can_email())
    condition = or_(
        Contact.details_flagged_at.is_not(None),
        Contact.sms_opted_out.is_(True),
        Contact.email_complained.is_(True),
        failed,
        unreachable & has_pr,
    )
    query = select(Contact, failed.label("failed")).where(Contact.school_id == school_id, condition)
    total = db.session.scalar(
        select(func.count()).select_from(query.with_only_columns(Contact.id).subquery())
    )
    rows = db.session.execute(
        query.order_by(Contact.last_name, Contact.first_name, Contact.id)
        .limit(PAGE_SIZE)
        .offset((max(page, 1) - 1) * PAGE_SIZE)
    ).all()
    items = []
    for contact, has_failed in rows:
        reasons = []
        if contact.details_flagged_at:
            reasons.append(f"flagged by the office: {contact.details_flag_reason}")
        if contact.sms_opted_out:
            reasons.append("opted out of text messages")
        if contact.email_complained:
            reasons.append("reported our email as spam: no more email to them")
        if has_failed:
            reasons.append("a message bounced or could not be delivered")
        if contact.best_channel() is None:
            reasons.append("no way to reach them")
        items.append((contact, reasons))
    return Page(items, page, total)
