"""The only way out: put a message in the outbox, in the caller's transaction.

Handlers and jobs never talk to Twilio or SMTP; they call `enqueue`. The dispatcher sends.
Message bodies that carry a personal link hold `LINK_PLACEHOLDER`; the token waits in
`link_token` and is put into the text only at the moment of sending.
"""

from __future__ import annotations

from datetime import datetime

from flask import current_app

from parentlink.core.clock import now
from parentlink.db import db, insert_many
from parentlink.directory.models import Channel, Contact
from parentlink.messaging.models import LINK_PLACEHOLDER, Message, MessageKind, MessageStatus
from parentlink.messaging.sms_rules import count_sms
from parentlink.messaging.templates import Rendered, render

__all__ = [
    "Rendered",
    "enqueue",
    "enqueue_many",
    "personal_link",
    "render",
    "sms_with_link",
]

TOKEN_LENGTH = 22  # secrets.token_urlsafe(16)


def personal_link(token: str) -> str:
    return f"{current_app.config['PUBLIC_URL']}/a/{token}"


def sms_with_link(body: str) -> str:
    """The SMS as it will leave, with a link of the real length (for counting segments)."""
    return body.replace(LINK_PLACEHOLDER, personal_link("x" * TOKEN_LENGTH))


def enqueue(
    *,
    school_id: int,
    kind: MessageKind,
    channel: Channel,
    rendered: Rendered,
    contact: Contact | None = None,
    to: str | None = None,
    invitation_id: int | None = None,
    link_token: str | None = None,
) -> Message:
    """Queue one message to a contact (or, for staff alerts, to an address)."""
    if contact is not None:
        to = contact.address_for(channel)
        if not to:
            raise ValueError(f"contact {contact.id} cannot be reached by {channel.value}")
    if not to:
        raise ValueError("a message needs a contact or an address")
    segments = None
    if channel is Channel.SMS:
        segments = count_sms(sms_with_link(rendered.body)).count
    message = Message(
        school_id=school_id,
        kind=kind,
        channel=channel,
        contact_id=contact.id if contact is not None else None,
        invitation_id=invitation_id,
        to_address=to,
        subject=rendered.subject,
        body=rendered.body,
        html_body=rendered.html,
        segments=segments,
        link_token=link_token,
        next_attempt_at=now(),
    )
    db.session.add(message)
    return message


def enqueue_many(
    school_id: int,
    kind: MessageKind,
    *,
    channels: list[Channel],
    rendered: list[Rendered],
    to: list[str],
    contact_ids: list[int],
    invitation_ids: list[int],
    link_tokens: list[str],
    segments: list[int | None],  # each SMS's, counted by the caller (sms_with_link)
    at: datetime | None = None,
) -> None:
    """Queue many messages of one kind in one executemany, in the caller's transaction;
    the i-th message is made of the i-th item of every list."""
    at = at or now()
    sms = [channel is Channel.SMS for channel in channels]
    if any(is_sms and count is None for is_sms, count in zip(sms, segments, strict=True)):
        raise ValueError("enqueue_many: an SMS without its segments counted")
    insert_many(
        Message.__table__,
        {
            "school_id": school_id,
            "kind": kind,
            "channel": channels,
            "contact_id": contact_ids,
            "invitation_id": invitation_ids,
            "to_address": to,
            "subject": [message.subject for message in rendered],
            "body": [message.body for message in rendered],
            "html_body": [message.html for message in rendered],
            "segments": [n if is_sms else None for is_sms, n in zip(sms, segments, strict=True)],
            "link_token": link_tokens,
            "status": MessageStatus.QUEUED,
            "attempts": 0,
            "next_attempt_at": at,
            "created_at": at,
        },
        rows=len(channels),
    )
