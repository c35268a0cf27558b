"""What GOV.UK Notify tells us after sending: delivery receipts and the texts parents send.

Receipts (Notify's delivery-status callback: id, reference, to, status, …) move a message
forward through its transitions and never back; a repeated or late one is kept as an
event and changes nothing. The message is found by our `reference` (our message id), and
the notification id and recipient must not contradict it, so a receipt meant for another
ParentLink on the same Notify service (a staging copy) changes nothing here.

- created / sending / pending: the provider has it (our `sent`).
- sent (international) / delivered: delivered.
- permanent-failure: failed; the contact's details are flagged and the other channel is
  tried once (fallback.py).
- temporary-failure (phone off, inbox full): undelivered, without flagging anyone.
- technical-failure: Notify never sent it, so it is queued to be sent again (with a new
  personal link when it carries one), until the attempts run out. One that arrives while
  the message is still `sending` (the dispatcher records a batch's acceptances after the
  whole batch, or died before it could: the reconciler then settles it) cannot be acted on
  yet and must not be lost: it raises `ReportTooEarly`, the webhook answers 503, and
  Notify sends the report again (every 5 minutes, 5 times).

Replies (Notify's received-text callback: id, source_number, destination_number, message,
date_received) go through the same STOP / START / HELP handling and office inbox as
Twilio's (inbound.py). Notify cannot answer inside the callback, so HELP's answer goes
out through the outbox like any other text.
"""

from __future__ import annotations

from datetime import datetime

from flask import current_app
from sqlalchemy import select

from parentlink.campaigns.models import Invitation
from parentlink.core.clock import now
from parentlink.core.tokens import hash_token, new_token
from parentlink.db import db
from parentlink.directory.models import Channel
from parentlink.messaging.fallback import INVITATION_KINDS, fall_back
from parentlink.messaging.gateways.notify import message_id_from, same_recipient
from parentlink.messaging.inbound import InboundResult, receive_sms
from parentlink.messaging.models import (
    LINK_PLACEHOLDER,
    NOTIFY_STATUS,
    Message,
    MessageKind,
    MessageStatus,
)
from parentlink.messaging.outbox import enqueue, render
from parentlink.messaging.pacing import backoff
from parentlink.schools.models import School

TECHNICAL_FAILURE = "technical-failure"
SOURCE = "notify"


class ReportTooEarly(Exception):
    """A report about a send not recorded yet, that only makes sense after it: Notify should
    send it again later."""


def apply_receipt(payload: dict) -> bool:
    """Apply one delivery receipt; whether it was for one of our messages."""
    notification_id = str(payload.get("id") or "")[:64]
    reported = str(payload.get("status") or "unknown")[:32]
    message = _receipt_message(payload, notification_id)
    if message is None:
        return False
    at = now()
    reason = f"GOV.UK Notify reported {reported}"
    if reported == TECHNICAL_FAILURE:
        if message.status is MessageStatus.SENDING:
            raise ReportTooEarly(f"message {message.id} is still being sent")
        applied = _send_again(message, at, notification_id, reason)
        message.note(at, SOURCE, reported, applied=applied)
        return True
    status = NOTIFY_STATUS.get(reported)
    applied = False
    if status is not None:
        applied = message.apply_provider_status(status, at, reason)
        if applied and status is MessageStatus.FAILED:
            fall_back(message, at, reason, dead=True)  # flagged; the link is issued again
    if notification_id and not message.provider_id:
        message.provider_id = notification_id  # the receipt overtook the dispatcher's record
    if status in (MessageStatus.SENT, MessageStatus.DELIVERED) and message.invitation_id:
        message.sent_at = message.sent_at or at
        db.session.get(Invitation, message.invitation_id).mark_sent(at)
    message.note(at, SOURCE, reported, applied=applied)
    return True


def _receipt_message(payload: dict, notification_id: str) -> Message | None:
    message_id = message_id_from(payload.get("reference"))
    message = None
    if message_id is not None:
        message = db.session.get(Message, message_id, with_for_update=True)
    elif notification_id:
        message = db.session.scalar(
            select(Message).where(Message.provider_id == notification_id).with_for_update()
        )
    if message is None or message.provider_id not in (None, notification_id):
        return None  # not ours, or an earlier attempt's notification: nothing to change
    to = payload.get("to")
    if to and not same_recipient(message.channel.value, to, message.to_address):
        return None
    return message


def _send_again(message: Message, at: datetime, notification_id: str, reason: str) -> bool:
    """Notify took it but never sent it: queue it again (a new attempt), once per report."""
    if message.status is not MessageStatus.SENT or message.provider_id != notification_id:
        return False  # a repeat, or a report about an attempt already settled
    config = current_app.config
    if message.attempts >= config["DISPATCH_MAX_ATTEMPTS"]:
        message.fail(at, f"gave up after {message.attempts} attempts: {reason}")
        return True
    token = None
    if LINK_PLACEHOLDER in message.body or LINK_PLACEHOLDER in (message.html_body or ""):
        if message.invitation_id is None or message.kind not in INVITATION_KINDS:
            message.fail(at, f"{reason}; its link cannot be issued again: send it again by hand")
            return True
        token = new_token()  # the accepted attempt's token was forgotten, as always
        db.session.get(Invitation, message.invitation_id).token_hash = hash_token(token)
    delay = backoff(
        message.attempts,
        config["DISPATCH_BACKOFF_BASE_SECONDS"],
        config["DISPATCH_BACKOFF_CAP_SECONDS"],
    )
    message.provider_dropped(at, at + delay, f"{reason}: it will be sent again")
    message.link_token = token
    return True


def receive_reply(payload: dict) -> InboundResult:
    """A text a parent sent to the school's Notify inbound number."""
    result = receive_sms(
        sid=f"notify-{str(payload.get('id') or '')[:57]}",
        from_number=international(str(payload.get("source_number") or "")),
        to_number=str(payload.get("destination_number") or ""),
        body=str(payload.get("message", payload.get("content")) or ""),
        source=SOURCE,
    )
    inbound = result.message
    if result.reply and not result.repeated and inbound.school_id is not None:
        enqueue(
            school_id=inbound.school_id,
            kind=MessageKind.HELP_REPLY,
            channel=Channel.SMS,
            rendered=render(
                MessageKind.HELP_REPLY,
                Channel.SMS,
                reply=result.reply,
                school=db.session.get(School, inbound.school_id),
            ),
            to=inbound.from_number,
        )
    return result


def international(number: str) -> str:
    """Notify gives numbers as 447700900123: the same number as +447700900123."""
    text = number.strip()
    if text.isdigit() and not text.startswith("0"):
        return "+" + text
    return text
