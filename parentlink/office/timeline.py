"""A family's timeline in plain words: what was sent and whether it arrived, links opened,
answers given, questions asked and answered. Concern traces only for the DSL."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, or_, select
from sqlalchemy.orm import selectinload

from parentlink.campaigns.models import (
    Answer,
    ClauseResponse,
    Confirmation,
    FollowUp,
    Invitation,
)
from parentlink.concerns.access import concern_message_kinds
from parentlink.core.filters import phone
from parentlink.core.i18n import english_plural
from parentlink.db import db
from parentlink.directory.models import Channel
from parentlink.messaging.models import DeliveryEvent, Message, MessageKind

TIMELINE_LIMIT = 200

_K = MessageKind
WHAT = {
    _K.INVITE: "the invitation to confirm the agreement",
    _K.REMINDER_1: "a first reminder",
    _K.REMINDER_2: "a second reminder",
    _K.REMINDER_3: "a last reminder",
    _K.RECEIPT: "a receipt for their answers",
    _K.NEW_LINK: "a new link they asked for",
    _K.CONCERN_ACK: "an acknowledgement of the concern they reported",
    _K.QUESTION_REPLY: "the school's answer to their question",
}
HOW = {
    "sent": "was sent",
    "delivered": "arrived",
    "queued": "is waiting to be sent",
    "sending": "is being sent",
    "undelivered": "did not arrive",
    "failed": "could not be sent",
    "bounced": "bounced back",
}
# What a provider told us that a person needs to hear (the rest is in the message log).
BAD_NEWS = {
    "undelivered": "did not arrive",
    "failed": "could not be sent",
    "bounced": "bounced back",
    "opted-out": "was refused: the number has opted out of texts",
    "complained": "was marked as spam by the recipient",
}
CHANNEL_WORD = {Channel.SMS: "Text", Channel.EMAIL: "Email"}


@dataclass(frozen=True)
class Event:
    at: datetime
    kind: str  # message, delivery, opened, confirmed, withdrawn, question, answer, concern
    who: str
    text: str


def _address(message) -> str:
    return phone(message.to_address) if message.channel is Channel.SMS else message.to_address


# Built once (a family page runs them on every view). A message's columns, not the entity:
# its body and an email's HTML stay in the database.
_MESSAGES = (
    select(
        Message.id,
        Message.kind,
        Message.channel,
        Message.contact_id,
        Message.to_address,
        Message.status,
        Message.created_at,
    )
    .where(Message.contact_id.in_(bindparam("contact_ids", expanding=True)))
    .order_by(Message.id.desc())
    .limit(TIMELINE_LIMIT)
)
_MESSAGES_BUT_CONCERNS = _MESSAGES.where(Message.kind.not_in(concern_message_kinds()))
_BAD_NEWS = (
    select(
        DeliveryEvent.message_id, DeliveryEvent.at, DeliveryEvent.status, DeliveryEvent.error_code
    )
    .where(
        DeliveryEvent.message_id.in_(bindparam("message_ids", expanding=True)),
        DeliveryEvent.status.in_(list(BAD_NEWS)),
    )
    .order_by(DeliveryEvent.id.desc())
    .limit(TIMELINE_LIMIT)
)
_CONFIRMATIONS = (
    select(Confirmation)
    .where(Confirmation.contact_id.in_(bindparam("contact_ids", expanding=True)))
    .options(selectinload(Confirmation.responses).joinedload(ClauseResponse.clause))
)


def timeline(fam, invitations: list[Invitation], *, with_concerns: bool) -> list[Event]:
    """Everything that happened to this family's carers, newest first (bounded).
    `invitations`: every invitation of the carers, with its campaign loaded."""
    names = {
        link.contact_id: f"{link.contact.first_name} {link.contact.last_name}" for link in fam.links
    }
    ids = list(names)
    if not ids:
        return []
    events: list[Event] = []
    query = _MESSAGES if with_concerns else _MESSAGES_BUT_CONCERNS
    messages = db.session.execute(query, {"contact_ids": ids}).all()
    for m in messages:
        what = WHAT.get(m.kind, m.kind.value.replace("-", " "))
        how = HOW.get(m.status.value, m.status.value)
        events.append(
            Event(
                m.created_at,
                "message",
                names[m.contact_id],
                f"{CHANNEL_WORD[m.channel]} to {_address(m)}: {what}. It {how}.",
            )
        )
    by_id = {m.id: m for m in messages}
    if messages:
        for e in db.session.execute(_BAD_NEWS, {"message_ids": list(by_id)}):
            m = by_id[e.message_id]
            why = f" (code {e.error_code})" if e.error_code else ""
            events.append(
                Event(
                    e.at,
                    "delivery",
                    names[m.contact_id],
                    f"{CHANNEL_WORD[m.channel]} to {_address(m)} {BAD_NEWS[e.status]}{why}.",
                )
            )
    for inv in invitations:
        if inv.opened_at:
            events.append(
                Event(
                    inv.opened_at,
                    "opened",
                    names[inv.contact_id],
                    f"opened their link for {inv.campaign.name}.",
                )
            )
    for c in db.session.scalars(_CONFIRMATIONS, {"contact_ids": ids}):
        events.extend(_confirmation_events(c, names[c.contact_id]))
    if with_concerns:
        events.extend(_concern_events(fam, names, ids))
    events.sort(key=lambda e: e.at, reverse=True)
    return events[:TIMELINE_LIMIT]


def _confirmation_events(c: Confirmation, who: str) -> list[Event]:
    how = {
        "link": "with their link",
        "paper": "on paper (recorded by the office)",
        "phone": "by phone (recorded by the office)",
    }[c.channel.value]
    questions = [r for r in c.responses if r.answer is Answer.QUESTION]
    agreed = len(c.responses) - len(questions)
    text = f"confirmed the agreement {how} as \u201c{c.typed_name}\u201d: agreed to {agreed} of "
    text += english_plural("%(num)d point", "%(num)d points", len(c.responses))
    text += f"; reference {c.reference}."
    events = [Event(c.confirmed_at, "confirmed", who, text)]
    if c.withdrawn_at:
        reason = c.withdrawal_reason or "no reason given"
        events.append(Event(c.withdrawn_at, "withdrawn", who, f"withdrew their answers: {reason}"))
    for r in questions:
        point = r.clause.summary if r.clause else "a point"
        events.append(
            Event(
                c.confirmed_at,
                "question",
                who,
                f"asked a question about \u201c{point}\u201d: {r.question or '(no words given)'}",
            )
        )
        if r.follow_up is FollowUp.ANSWERED and r.answered_at:
            said = (
                f"The office replied: {r.reply}"
                if r.reply
                else ("The office answered the question by phone or in person.")
            )
            events.append(Event(r.answered_at, "answer", who, said))
        elif r.follow_up is FollowUp.WITH_DSL and r.passed_at:
            events.append(
                Event(r.passed_at, "answer", who, "The question went to the safeguarding lead.")
            )
    return events


def _concern_events(fam, names: dict[int, str], ids: list[int]) -> list[Event]:
    from parentlink.concerns.models import Concern

    pupil_ids = [fam.pupil.id, *(s.id for s in fam.siblings)]
    return [
        Event(
            concern.reported_at,
            "concern",
            names.get(concern.contact_id, "a carer"),
            f"reported a concern ({concern.category.value}), reference {concern.reference}.",
        )
        for concern in db.session.scalars(
            select(Concern).where(or_(Concern.contact_id.in_(ids), Concern.pupil_id.in_(pupil_ids)))
        )
    ]
