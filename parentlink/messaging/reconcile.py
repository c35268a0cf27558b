"""Crash safety: what happened to messages whose dispatcher died in the middle of sending?

A message in `sending` whose lease has expired was claimed by a dispatcher that never
recorded the result: it may have died before the provider took the message, or after the
provider took it but before the database commit. Sending it again blindly could send it
twice, so first we ask the provider:

- SMS: Twilio's message list, filtered by recipient, newest first, back to a little before
  the attempt began; a message with the same body means it was accepted (we record its
  SID and move on). The body holds the personal link, so it identifies the message.
- GOV.UK Notify (SMS or email): its notifications with our reference (our message id)
  to the same recipient, created since a little before the attempt began.
- Email: SMTP cannot be asked, so the message is sent again with the same Message-ID
  (stable across attempts): receiving systems treat it as the same message.

If the provider cannot be asked right now, the message stays in `sending` with a new
lease and is reconciled on a later run; it is never resent on a guess.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from parentlink.campaigns.models import Invitation
from parentlink.core.clock import now
from parentlink.db import db, transaction
from parentlink.directory.models import Channel
from parentlink.messaging.gateways import gateway_for
from parentlink.messaging.gateways.base import Outgoing, ProviderUnavailable
from parentlink.messaging.models import Message, MessageStatus

log = logging.getLogger("parentlink.messaging")
CLOCK_SLACK = timedelta(minutes=2)  # our clock and the provider's may differ a little


def reconcile_expired(outgoing_for: Callable[[Message], Outgoing], limit: int = 500) -> int:
    """Settle up to `limit` abandoned attempts; how many were settled."""
    at = now()
    lease = timedelta(seconds=current_app.config["DISPATCH_LEASE_SECONDS"])
    with transaction():
        stale = db.session.scalars(
            select(Message)
            .where(Message.status == MessageStatus.SENDING, Message.lease_until < at)
            .order_by(Message.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        ).all()
        for message in stale:
            message.extend_lease(at + lease)  # ours now: no other dispatcher looks at them
        asks = [(m.id, m.channel, m.claimed_at or at, outgoing_for(m)) for m in stale]
    if not asks:
        return 0
    found: dict[int, str | None] = {}
    for message_id, channel, claimed_at, outgoing in asks:
        try:
            found[message_id] = gateway_for(channel).find_accepted(
                outgoing, since=claimed_at - CLOCK_SLACK
            )
        except ProviderUnavailable as exc:
            log.warning("cannot reconcile message %s yet: %s", message_id, exc)
    settled = 0
    with transaction():
        at = now()
        settling = select(Message).where(Message.id.in_(found)).order_by(Message.id)
        for message in db.session.scalars(settling.with_for_update()):
            if message.status is not MessageStatus.SENDING:
                continue  # a delivery report settled it meanwhile
            provider_id = found[message.id]
            if provider_id:
                message.note(at, "reconcile", "sent", detail="found at the provider")
                message.accepted(at, provider_id)
                if message.invitation_id is not None:
                    db.session.get(Invitation, message.invitation_id).mark_sent(at)
            elif message.attempts >= current_app.config["DISPATCH_MAX_ATTEMPTS"]:
                message.note(at, "reconcile", "failed", detail="lease expired too often")
                message.fail(at, f"gave up after {message.attempts} interrupted attempts")
            else:
                asked = (
                    message.channel is Channel.SMS
                    or current_app.config["EMAIL_GATEWAY"] == "notify"
                )
                what = (
                    "not found at the provider"
                    if asked
                    else ("cannot be checked over SMTP: resent with the same Message-ID")
                )
                message.note(at, "reconcile", "requeued", detail=f"lease expired; {what}")
                message.retry_at(at, at, f"the dispatcher stopped mid-send; {what}")
            settled += 1
    return settled
