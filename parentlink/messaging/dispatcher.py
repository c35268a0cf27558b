"""The dispatcher: claims due messages, hands them to the gateways, records what happened.

A claim is committed before anything is sent (status `sending` with a lease), so two
dispatchers never take the same message and a crash leaves a trace to reconcile. The
results of a batch are recorded in a second transaction.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from parentlink.campaigns.models import Invitation
from parentlink.core.clock import now
from parentlink.db import db, transaction
from parentlink.directory.models import Channel
from parentlink.messaging.gateways import gateway_for
from parentlink.messaging.gateways.base import Outcome, Outgoing, SendResult
from parentlink.messaging.models import LINK_PLACEHOLDER, DeliveryEvent, Message, MessageStatus
from parentlink.messaging.outbox import personal_link

MAX_ATTEMPTS = 8
BACKOFF_BASE_SECONDS = 30
BACKOFF_CAP_SECONDS = 3600


@dataclass
class DispatchCounts:
    claimed: int = 0
    accepted: int = 0
    retrying: int = 0
    failed: int = 0
    by_channel: dict[str, int] = field(default_factory=dict)

    def add(self, other: DispatchCounts) -> None:
        self.claimed += other.claimed
        self.accepted += other.accepted
        self.retrying += other.retrying
        self.failed += other.failed


def dispatch_pending(max_batches: int = 1000) -> DispatchCounts:
    """Send everything that is due now, batch after batch."""
    total = DispatchCounts()
    for _ in range(max_batches):
        counts = dispatch_batch()
        total.add(counts)
        if counts.claimed == 0:
            break
    return total


def dispatch_batch(limit: int | None = None) -> DispatchCounts:
    limit = limit or current_app.config["DISPATCH_BATCH_SIZE"]
    with transaction():
        batch = _claim_due(limit)
    counts = DispatchCounts(claimed=len(batch))
    if not batch:
        return counts
    results: dict[int, SendResult] = {}
    for channel in Channel:
        items = [item for item in batch if item.channel == channel.value]
        if items:
            sent = gateway_for(channel).send_batch(items)
            results.update(
                {item.message_id: result for item, result in zip(items, sent, strict=True)}
            )
            counts.by_channel[channel.value] = len(items)
    with transaction():
        _record(results, counts)
    return counts


def _claim_due(limit: int) -> list[Outgoing]:
    at = now()
    lease_until = at + timedelta(seconds=current_app.config["DISPATCH_LEASE_SECONDS"])
    messages = db.session.scalars(
        select(Message)
        .where(Message.status == MessageStatus.QUEUED, Message.next_attempt_at <= at)
        .order_by(Message.next_attempt_at, Message.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    callback = current_app.config["PUBLIC_URL"] + "/webhooks/twilio/status"
    batch = []
    for message in messages:
        message.claim(at, lease_until)
        link = personal_link(message.link_token) if message.link_token else None
        batch.append(
            Outgoing(
                message_id=message.id,
                channel=message.channel.value,
                to=message.to_address,
                body=_with_link(message.body, link),
                subject=message.subject,
                html=_with_link(message.html_body, link) if message.html_body else None,
                message_ref=f"<message-{message.id}.{message.school_id}@parentlink.invalid>",
                status_callback=callback if message.channel is Channel.SMS else None,
            )
        )
    return batch


def _with_link(text: str, link: str | None) -> str:
    return text.replace(LINK_PLACEHOLDER, link) if link else text


def _record(results: dict[int, SendResult], counts: DispatchCounts) -> None:
    at = now()
    messages = db.session.scalars(select(Message).where(Message.id.in_(results))).all()
    for message in messages:
        result = results[message.id]
        if result.outcome is Outcome.ACCEPTED:
            message.accepted(at, result.provider_id or "")
            counts.accepted += 1
            if message.invitation_id is not None:
                invitation = db.session.get(Invitation, message.invitation_id)
                invitation.mark_sent(at)
        elif result.outcome is Outcome.RETRY and message.attempts < MAX_ATTEMPTS:
            delay = min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2 ** (message.attempts - 1))
            delay = delay * random.uniform(0.5, 1.0)  # jitter: retries don't stampede
            message.retry_at(at, at + timedelta(seconds=delay), result.reason or "retry")
            counts.retrying += 1
        else:
            message.fail(at, result.reason or "failed")
            counts.failed += 1
        db.session.add(
            DeliveryEvent(
                message_id=message.id,
                at=at,
                source="dispatcher",
                status=result.provider_status or result.outcome.value,
                error_code=result.error_code,
                detail=(result.reason or None) and result.reason[:500],
            )
        )
