"""Keeping the outbox honest and small: settle what the provider never reported on, and
drop message bodies once they are no longer needed (the rows and their events stay)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update

from parentlink.db import db
from parentlink.directory.models import Channel
from parentlink.messaging.models import DeliveryEvent, Message, MessageStatus

SETTLE_AFTER = timedelta(hours=72)
PURGED = "[removed after the retention period]"


def settle_unreported(at: datetime) -> int:
    """Texts still `sent` 72 hours after sending never got the delivery report the SMS
    provider always sends: mark them undelivered (as GOV.UK Notify does), so they are
    chased by other means, not forgotten. Email is never settled so: it has no delivery
    report, and one the mail server accepted stays sent unless it bounces."""
    stale = db.session.scalars(
        select(Message)
        .where(
            Message.channel == Channel.SMS,
            Message.status == MessageStatus.SENT,
            Message.sent_at < at - SETTLE_AFTER,
        )
        .order_by(Message.id)
        .limit(5000)
    ).all()
    for message in stale:
        message.apply_provider_status(MessageStatus.UNDELIVERED, at)
        message.last_error = "no delivery report within 72 hours"
        db.session.add(
            DeliveryEvent(
                message_id=message.id,
                at=at,
                source="housekeeping",
                status="undelivered",
                detail=message.last_error,
            )
        )
    return len(stale)


def purge_bodies(at: datetime, older_than_days: int) -> int:
    """Blank the text of final messages older than the retention period."""
    result = db.session.execute(
        update(Message)
        .where(
            Message.created_at < at - timedelta(days=older_than_days),
            Message.status.notin_((MessageStatus.QUEUED, MessageStatus.SENDING)),
            Message.body != PURGED,
        )
        .values(body=PURGED, html_body=None, subject=None, link_token=None)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0
