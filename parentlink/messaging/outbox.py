"""The only way out: put a message in the outbox, in the caller's transaction.

Handlers and jobs never talk to Twilio or SMTP; they call `enqueue`. The dispatcher sends.
Message bodies that carry a personal link hold `LINK_PLACEHOLDER`; the token waits in
`link_token` and is put into the text only at the moment of sending.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, render_template

from parentlink.core.clock import now
from parentlink.db import db
from parentlink.directory.models import Channel, Contact
from parentlink.messaging.models import LINK_PLACEHOLDER, Message, MessageKind

SUBJECTS = {
    MessageKind.INVITE: "Please confirm our social media agreement",
    MessageKind.RECEIPT: "Thank you: your confirmation",
    MessageKind.REMINDER_1: "Reminder: please confirm our social media agreement",
    MessageKind.REMINDER_2: "Please confirm our social media agreement",
    MessageKind.REMINDER_3: "Last reminder: our social media agreement",
    MessageKind.TEST: "ParentLink test message",
    MessageKind.ROUND_NOTICE: "ParentLink: a termly round is about to start",
}


@dataclass(frozen=True)
class Rendered:
    body: str
    subject: str | None = None
    html: str | None = None


def personal_link(token: str) -> str:
    return f"{current_app.config['PUBLIC_URL']}/a/{token}"


def render(kind: MessageKind, channel: Channel, **context: object) -> Rendered:
    context.setdefault("link", LINK_PLACEHOLDER)
    name = kind.value
    if channel is Channel.SMS:
        body = render_template(f"messages/sms/{name}.txt", **context)
        return Rendered(body=" ".join(body.split()))
    return Rendered(
        body=render_template(f"messages/email/{name}.txt", **context).strip() + "\n",
        subject=SUBJECTS.get(kind, "A message from school"),
        html=render_template(f"messages/email/{name}.html", **context),
    )


def enqueue(
    *,
    school_id: int,
    kind: MessageKind,
    channel: Channel,
    contact: Contact,
    rendered: Rendered,
    invitation_id: int | None = None,
    link_token: str | None = None,
) -> Message:
    to = contact.address_for(channel)
    if not to:
        raise ValueError(f"contact {contact.id} cannot be reached by {channel.value}")
    message = Message(
        school_id=school_id,
        kind=kind,
        channel=channel,
        contact_id=contact.id,
        invitation_id=invitation_id,
        to_address=to,
        subject=rendered.subject,
        body=rendered.body,
        html_body=rendered.html,
        link_token=link_token,
        next_attempt_at=now(),
    )
    db.session.add(message)
    return message


def enqueue_to_staff(
    *, school_id: int, kind: MessageKind, channel: Channel, to: str, rendered: Rendered
) -> Message:
    """A message to the school's own people (the office, the DSL), not to a contact."""
    message = Message(
        school_id=school_id,
        kind=kind,
        channel=channel,
        contact_id=None,
        to_address=to,
        subject=rendered.subject,
        body=rendered.body,
        html_body=rendered.html,
        next_attempt_at=now(),
    )
    db.session.add(message)
    return message
