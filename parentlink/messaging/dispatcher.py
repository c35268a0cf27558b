"""The dispatcher: claims due messages, hands them to the gateways, records what happened.

1. Reconcile: messages left in `sending` by a dispatcher that died (their lease expired)
   are looked up at the provider before anything is sent again (reconcile.py).
2. Claim: one UPDATE moves a batch of due messages to `sending` with a lease and commits
   (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so several dispatchers share the work without
   waiting on each other; SQLite has one writer at a time). SMS are claimed only inside
   their school's sending window (quiet_hours.py).
3. Send: a thread pool, paced by a token bucket per channel that all dispatcher
   processes share (sending.py, pacing.py).
4. Record: the results, in a second transaction, through the Message transitions.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import Flask, current_app
from sqlalchemy import insert, or_, select, update

from parentlink.campaigns.models import Invitation
from parentlink.campaigns.restrictions import still_allowed
from parentlink.core.clock import now
from parentlink.db import db, transaction
from parentlink.directory.models import Channel
from parentlink.messaging.bounces import bounce, return_path
from parentlink.messaging.fallback import FALLBACK_CODES, fall_back
from parentlink.messaging.gateways.base import Outcome, Outgoing, SendResult
from parentlink.messaging.models import (
    LINK_PLACEHOLDER,
    DeliveryEvent,
    Message,
    MessageKind,
    MessageStatus,
    message_ref,
)
from parentlink.messaging.outbox import personal_link
from parentlink.messaging.pacing import backoff
from parentlink.messaging.quiet_hours import schools_in_window
from parentlink.messaging.reconcile import reconcile_expired
from parentlink.messaging.sending import send_all
from parentlink.schools.logo import inline_images, school_logos
from parentlink.schools.models import School


@dataclass
class DispatchCounts:
    claimed: int = 0
    accepted: int = 0
    retrying: int = 0
    failed: int = 0
    bounced: int = 0
    reconciled: int = 0
    by_channel: dict[str, int] = field(default_factory=dict)

    def add(self, other: DispatchCounts) -> None:
        self.claimed += other.claimed
        self.accepted += other.accepted
        self.retrying += other.retrying
        self.failed += other.failed
        self.bounced += other.bounced
        self.reconciled += other.reconciled
        for channel, n in other.by_channel.items():
            self.by_channel[channel] = self.by_channel.get(channel, 0) + n


def dispatch_pending(max_batches: int = 1000) -> DispatchCounts:
    """Reconcile abandoned attempts, then send everything that is due now, batch by batch.

    Pipelined: while one batch is being sent, the previous one is recorded and the next
    one claimed, so the senders do not wait for the database between batches. Each
    batch is still claimed (committed) before it is sent and recorded after."""
    total = DispatchCounts(reconciled=reconcile_expired(outgoing_for))
    app = current_app._get_current_object()
    limit = app.config["DISPATCH_BATCH_SIZE"]
    in_flight: tuple[Future, DispatchCounts] | None = None
    with ThreadPoolExecutor(1, thread_name_prefix="dispatch-batch") as sender:
        for _ in range(max_batches):
            with transaction():
                batch = claim_due(limit)
            flight = None
            if batch:
                counts = _counted(batch)
                flight = (sender.submit(_send_with_app, app, batch), counts)
            finished = in_flight is not None
            if in_flight is not None:
                _finish(*in_flight, total)  # may queue fallbacks: look once more
            in_flight = flight
            if not batch and not finished:
                break
        if in_flight is not None:
            _finish(*in_flight, total)
    return total


def _counted(batch: list[Outgoing]) -> DispatchCounts:
    counts = DispatchCounts(claimed=len(batch))
    for item in batch:
        counts.by_channel[item.channel] = counts.by_channel.get(item.channel, 0) + 1
    return counts


def _send_with_app(app: Flask, batch: list[Outgoing]) -> dict[int, SendResult]:
    with app.app_context():
        return send_all(batch)


def _finish(future: Future, counts: DispatchCounts, total: DispatchCounts) -> None:
    results = future.result()
    with transaction():
        record(results, counts)
    total.add(counts)


def dispatch_batch(limit: int | None = None) -> DispatchCounts:
    """Claim, send and record one batch (without reconciling first)."""
    limit = limit or current_app.config["DISPATCH_BATCH_SIZE"]
    with transaction():
        batch = claim_due(limit)
    counts = _counted(batch)
    if batch:
        results = send_all(batch)
        with transaction():
            record(results, counts)
    return counts


def claim_due(limit: int) -> list[Outgoing]:
    """Move up to `limit` due messages to `sending` in one statement; what to send."""
    at = now()
    config = current_app.config
    lease = config["DISPATCH_LEASE_SECONDS"]
    # Never claim more than the rate limits can send in an eighth of a lease: a batch
    # must be done long before anyone may take its messages for abandoned, even while
    # it waits behind the batch being sent (pipelining) and the rate, which is shared,
    # is split between up to four dispatcher processes.
    rates = [r for r in (config["SMS_PER_SECOND"], config["EMAIL_PER_SECOND"]) if r > 0]
    if rates:
        limit = max(1, min(limit, int(min(rates) * lease / 8)))
    lease_until = at + timedelta(seconds=lease)
    due = (
        select(Message.id)
        .where(
            Message.status == MessageStatus.QUEUED,
            Message.next_attempt_at <= at,
            or_(Message.channel == Channel.EMAIL, Message.school_id.in_(schools_in_window(at))),
            # Re-checked at the last moment: a carer restricted since the message was
            # queued is never sent it (campaigns/restrictions.py).
            or_(
                Message.invitation_id.is_(None),
                still_allowed(Message.invitation_id, Message.contact_id),
            ),
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
    senders = school_senders() if rows else {}
    logos = school_logos(
        {row.school_id for row in rows if row.html_body and "cid:" in row.html_body}
    )
    return [
        outgoing_for(row, senders.get(row.school_id), logos) for row in sorted(rows, key=_by_id)
    ]


def _by_id(row) -> int:
    return row.id


def school_senders() -> dict[int, str]:
    """Schools that chose their own SMS sender (schools are few: one short query)."""
    rows = db.session.execute(
        select(School.id, School.sms_sender).where(School.sms_sender.is_not(None))
    )
    return {row.id: row.sms_sender for row in rows}


_OUTGOING_COLUMNS = (
    Message.id,
    Message.school_id,
    Message.kind,
    Message.channel,
    Message.to_address,
    Message.subject,
    Message.body,
    Message.html_body,
    Message.link_token,
)


def outgoing_for(message, sender: str | None = None, logos: dict | None = None) -> Outgoing:
    """What a gateway needs for a message (an ORM Message or a row of _OUTGOING_COLUMNS);
    `sender`: the school's own SMS sender, if it has one; `logos`: the schools' logos
    (school_logos), looked up here when not given and the email shows one."""
    link = None
    if message.link_token:
        link = personal_link(message.link_token)
        if message.kind is MessageKind.STAFF_INVITE:
            link = f"{current_app.config['PUBLIC_URL']}/office/set-up/{message.link_token}"
    callback = None
    if message.channel is Channel.SMS:
        callback = f"{current_app.config['PUBLIC_URL']}/webhooks/twilio/status?m={message.id}"
    html = _with_link(message.html_body, link) if message.html_body else None
    if html and "cid:" in html and logos is None:
        logos = school_logos([message.school_id])
    html, images = inline_images(html, (logos or {}).get(message.school_id))
    return Outgoing(
        message_id=message.id,
        channel=message.channel.value,
        to=message.to_address,
        body=_with_link(message.body, link),
        subject=message.subject,
        html=html,
        images=images,
        message_ref=message_ref(message.id, message.school_id),
        status_callback=callback,
        return_path=return_path(message.id) if message.channel is Channel.EMAIL else None,
        sender=sender if message.channel is Channel.SMS else None,
    )


def _with_link(text: str, link: str | None) -> str:
    return text.replace(LINK_PLACEHOLDER, link) if link else text


def record(results: dict[int, SendResult], counts: DispatchCounts) -> None:
    at = now()
    # Locked: a delivery report for one of them may be committing right now, and the
    # status it sets must not be overwritten with an older one.
    rows = db.session.execute(
        select(Message.id, Message.status, Message.invitation_id)
        .where(Message.id.in_(results))
        .order_by(Message.id)
        .with_for_update()
    ).all()
    accepted = [
        row
        for row in rows
        if row.status is MessageStatus.SENDING and results[row.id].outcome is Outcome.ACCEPTED
    ]
    _record_accepted(at, accepted, results, counts)
    done = {row.id for row in accepted}
    others = [message_id for message_id in results if message_id not in done]
    if others:
        _record_others(at, others, results, counts)


def _record_accepted(at: datetime, rows, results: dict[int, SendResult], counts) -> None:
    """The common case, in bulk: accepted while we held the claim."""
    if not rows:
        return
    db.session.execute(
        update(Message),
        [
            {"id": row.id, **Message.accepted_values(at, results[row.id].provider_id or "")}
            for row in rows
        ],
    )
    db.session.execute(
        insert(DeliveryEvent),
        [_event(at, row.id, results[row.id]) for row in rows],
    )
    invitation_ids = [row.invitation_id for row in rows if row.invitation_id]
    for invitation in db.session.scalars(
        select(Invitation).where(Invitation.id.in_(invitation_ids))
    ):
        invitation.mark_sent(at)
    counts.accepted += len(rows)


def _event(at: datetime, message_id: int, result: SendResult) -> dict:
    return {
        "message_id": message_id,
        "at": at,
        "source": "dispatcher",
        "status": (result.provider_status or result.outcome.value)[:32],
        "error_code": result.error_code,
        "detail": result.reason[:500] if result.reason else None,
        "applied": True,
    }


def _record_others(at: datetime, ids: list[int], results: dict[int, SendResult], counts) -> None:
    """Retries, failures, and acceptances that arrive after someone else settled the
    message, one by one through the Message transitions."""
    config = current_app.config
    for message in db.session.scalars(select(Message).where(Message.id.in_(ids))):
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
            if message.invitation_id is not None:
                db.session.get(Invitation, message.invitation_id).mark_sent(at)
        elif result.outcome is Outcome.RETRY and message.attempts < config["DISPATCH_MAX_ATTEMPTS"]:
            delay = backoff(
                message.attempts,
                config["DISPATCH_BACKOFF_BASE_SECONDS"],
                config["DISPATCH_BACKOFF_CAP_SECONDS"],
            )
            message.retry_at(at, at + delay, result.reason or "retry")
            counts.retrying += 1
        elif result.bounce:
            bounce(message, at, result.reason or "bounced", result.error_code, hard=True)
            counts.bounced += 1
        else:
            reason = result.reason or "failed"
            if result.outcome is Outcome.RETRY:
                reason = f"gave up after {message.attempts} attempts: {reason}"
            _fail(message, at, reason, result)
            counts.failed += 1


def _fail(message: Message, at: datetime, reason: str, result: SendResult) -> None:
    # A refusal about the number itself. (An email refused for its recipient is a bounce;
    # an email whose text was refused goes by SMS without flagging the address; a refused
    # sender is our set-up, not the family's: it fails and the office sees it.)
    # Passing faults (429, 5xx, timeouts) that outlasted every attempt: the family must
    # still be reached, so the other channel is tried, without flagging the details.
    if result.outcome is Outcome.PERMANENT and result.error_code in FALLBACK_CODES:
        fall_back(message, at, reason, result.error_code, dead=True)  # needs the link token
    elif result.other_channel or result.outcome is Outcome.RETRY:
        fall_back(message, at, reason, result.error_code, flag=False)
    message.fail(at, reason)
