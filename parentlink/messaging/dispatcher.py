"""The dispatcher: claims due messages, hands them to the gateways, records what happened.

1. Reconcile: messages left in `sending` by a dispatcher that died (their lease expired)
   are looked up at the provider before anything is sent again (reconcile.py).
2. Claim: one UPDATE moves a batch of due messages to `sending` with a lease and commits
   (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so several dispatchers share the work without
   waiting on each other; SQLite has one writer at a time). SMS are claimed only inside
   their school's sending window (quiet_hours.py).
3. Send: a thread pool, paced by a token bucket per channel (sending.py).
4. Record: the results, in a second transaction, through the Message transitions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import or_, select, update

from parentlink.campaigns.models import Invitation
from parentlink.core.clock import now
from parentlink.db import db, transaction
from parentlink.directory.models import Channel
from parentlink.messaging.fallback import FALLBACK_CODES, fall_back
from parentlink.messaging.gateways.base import Outcome, Outgoing, SendResult
from parentlink.messaging.models import LINK_PLACEHOLDER, Message, MessageStatus, message_ref
from parentlink.messaging.outbox import personal_link
from parentlink.messaging.pacing import backoff
from parentlink.messaging.quiet_hours import schools_in_window
from parentlink.messaging.reconcile import reconcile_expired
from parentlink.messaging.sending import send_all


@dataclass
class DispatchCounts:
    claimed: int = 0
    accepted: int = 0
    retrying: int = 0
    failed: int = 0
    reconciled: int = 0
    by_channel: dict[str, int] = field(default_factory=dict)

    def add(self, other: DispatchCounts) -> None:
        self.claimed += other.claimed
        self.accepted += other.accepted
        self.retrying += other.retrying
        self.failed += other.failed
        self.reconciled += other.reconciled
        for channel, n in other.by_channel.items():
            self.by_channel[channel] = self.by_channel.get(channel, 0) + n


def dispatch_pending(max_batches: int = 1000) -> DispatchCounts:
    """Reconcile abandoned attempts, then send everything that is due now, batch by batch."""
    total = DispatchCounts(reconciled=reconcile_expired(outgoing_for))
    for _ in range(max_batches):
        counts = dispatch_batch()
        total.add(counts)
        if counts.claimed == 0:
            break
    return total


def dispatch_batch(limit: int | None = None) -> DispatchCounts:
    limit = limit or current_app.config["DISPATCH_BATCH_SIZE"]
    with transaction():
        batch = claim_due(limit)
    counts = DispatchCounts(claimed=len(batch))
    if not batch:
        return counts
    for item in batch:
        counts.by_channel[item.channel] = counts.by_channel.get(item.channel, 0) + 1
    results = send_all(batch)
    with transaction():
        record(results, counts)
    return counts


def claim_due(limit: int) -> list[Outgoing]:
    """Move up to `limit` due messages to `sending` in one statement; what to send."""
    at = now()
    config = current_app.config
    lease = config["DISPATCH_LEASE_SECONDS"]
    # Never claim more than the rate limits can send in half a lease: a batch must be
    # done long before anyone may take its messages for abandoned.
    rates = [r for r in (config["SMS_PER_SECOND"], config["EMAIL_PER_SECOND"]) if r > 0]
    if rates:
        limit = max(1, min(limit, int(min(rates) * lease / 2)))
    lease_until = at + timedelta(seconds=lease)
    due = (
        select(Message.id)
        .where(
            Message.status == MessageStatus.QUEUED,
            Message.next_attempt_at <= at,
            or_(Message.channel == Channel.EMAIL, Message.school_id.in_(schools_in_window(at))),
        )
        .order_by(Message.next_attempt_at, Message.id)
        .limit(limit)
        .with_for_update(skip_locked=True)  # PostgreSQL; SQLite serialises writers anyway
    )
    if db.engine.dialect.name == "postgresql":
        # Lock first (skipping rows other dispatchers hold), then update what we locked.
        due = list(db.session.scalars(due))
    rows = db.session.execute(
        update(Message)
        .where(Message.id.in_(due), Message.status == MessageStatus.QUEUED)
        .values(**Message.claim_values(at, lease_until))
        .returning(*_OUTGOING_COLUMNS),
        execution_options={"synchronize_session": False},
    ).all()
    return [outgoing_for(row) for row in sorted(rows, key=lambda row: row.id)]


_OUTGOING_COLUMNS = (
    Message.id,
    Message.school_id,
    Message.channel,
    Message.to_address,
    Message.subject,
    Message.body,
    Message.html_body,
    Message.link_token,
)


def outgoing_for(message) -> Outgoing:
    """What a gateway needs for a message (an ORM Message or a row of _OUTGOING_COLUMNS)."""
    link = personal_link(message.link_token) if message.link_token else None
    callback = None
    if message.channel is Channel.SMS:
        callback = f"{current_app.config['PUBLIC_URL']}/webhooks/twilio/status?m={message.id}"
    return Outgoing(
        message_id=message.id,
        channel=message.channel.value,
        to=message.to_address,
        body=_with_link(message.body, link),
        subject=message.subject,
        html=_with_link(message.html_body, link) if message.html_body else None,
        message_ref=message_ref(message.id, message.school_id),
        status_callback=callback,
    )


def _with_link(text: str, link: str | None) -> str:
    return text.replace(LINK_PLACEHOLDER, link) if link else text


def record(results: dict[int, SendResult], counts: DispatchCounts) -> None:
    at = now()
    config = current_app.config
    messages = db.session.scalars(select(Message).where(Message.id.in_(results))).all()
    invitation_ids = {
        m.invitation_id
        for m in messages
        if m.invitation_id and results[m.id].outcome is Outcome.ACCEPTED
    }
    invitations = {
        i.id: i
        for i in db.session.scalars(select(Invitation).where(Invitation.id.in_(invitation_ids)))
    }
    for message in messages:
        result = results[message.id]
        if message.status is not MessageStatus.SENDING and result.outcome is not Outcome.ACCEPTED:
            continue  # reconciled or reported meanwhile: that record stands
        # (an acceptance is always recorded: if a reconciler gave this attempt up for lost
        # and queued the message again, it must not go a second time)
        message.note(
            at,
            "dispatcher",
            result.provider_status or result.outcome.value,
            error_code=result.error_code,
            detail=result.reason,
        )
        if result.outcome is Outcome.ACCEPTED:
            message.accepted(at, result.provider_id or "")
            counts.accepted += 1
            if message.invitation_id in invitations:
                invitations[message.invitation_id].mark_sent(at)
        elif result.outcome is Outcome.RETRY and message.attempts < config["DISPATCH_MAX_ATTEMPTS"]:
            delay = backoff(
                message.attempts,
                config["DISPATCH_BACKOFF_BASE_SECONDS"],
                config["DISPATCH_BACKOFF_CAP_SECONDS"],
            )
            message.retry_at(at, at + delay, result.reason or "retry")
            counts.retrying += 1
        else:
            reason = result.reason or "failed"
            if result.outcome is Outcome.RETRY:
                reason = f"gave up after {message.attempts} attempts: {reason}"
            _fail(message, at, reason, result)
            counts.failed += 1


def _fail(message: Message, at: datetime, reason: str, result: SendResult) -> None:
    permanent_for_contact = result.outcome is Outcome.PERMANENT and (
        result.error_code in FALLBACK_CODES
        or (message.channel is Channel.EMAIL and (result.error_code or "").startswith("5"))
    )
    if permanent_for_contact:
        fall_back(message, at, reason, result.error_code)  # needs the link token: first
    message.fail(at, reason)
