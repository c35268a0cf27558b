"""SMS that parents send us: opt-out and opt-in keywords, HELP, and text for the office.

Keywords follow Twilio's (and the mobile industry's) list and are matched on the whole
message, trimmed and in any case. STOP and its synonyms turn SMS off for every contact
with that number (email stays allowed for these service messages, so a queued invitation
moves to email); START and UNSTOP turn SMS back on; HELP gets the school office's
details. Anything else is kept for the office inbox, linked to its contact. Twilio may
deliver a webhook twice: a message already stored (same SID) is not acted on again.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from parentlink.core.audit import record
from parentlink.core.clock import now
from parentlink.db import db
from parentlink.directory.models import Channel, Contact
from parentlink.messaging.addresses import AddressError, normalise_mobile
from parentlink.messaging.fallback import fall_back
from parentlink.messaging.models import InboundKeyword, InboundMessage, Message, MessageStatus
from parentlink.schools.models import School

KEYWORDS = {
    **dict.fromkeys(
        ["STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"], InboundKeyword.STOP
    ),
    **dict.fromkeys(["START", "UNSTOP"], InboundKeyword.START),
    **dict.fromkeys(["HELP", "INFO"], InboundKeyword.HELP),
}


@dataclass(frozen=True)
class InboundResult:
    message: InboundMessage
    reply: str | None = None  # text to answer with (HELP), or None
    repeated: bool = False


def receive_sms(
    *, sid: str, from_number: str, to_number: str, body: str, source: str = "twilio"
) -> InboundResult:
    existing = db.session.scalar(select(InboundMessage).where(InboundMessage.provider_id == sid))
    if existing is not None:
        return InboundResult(existing, _help_text(existing), repeated=True)
    at = now()
    number = _e164(from_number)
    contacts = (
        db.session.scalars(
            select(Contact).where(Contact.mobile == number).order_by(Contact.id)
        ).all()
        if number
        else []
    )
    keyword = KEYWORDS.get(" ".join(body.split()).upper().rstrip(".!"))
    first = contacts[0] if contacts else None
    inbound = InboundMessage(
        school_id=first.school_id if first else _only_school(),
        contact_id=first.id if first else None,
        provider_id=sid,
        from_number=(number or from_number)[:32],
        to_number=to_number[:32],
        body=body,
        keyword=keyword,
        received_at=at,
    )
    db.session.add(inbound)
    if keyword is InboundKeyword.STOP:
        for contact in contacts:
            _opt_out(contact, at, source)
    elif keyword is InboundKeyword.START:
        for contact in contacts:
            if contact.sms_opted_out:
                contact.sms_opted_out = False
                record(
                    "contact.sms_opt_in",
                    actor="sms",
                    school_id=contact.school_id,
                    subject=f"contact:{contact.id}",
                )
    db.session.flush()
    return InboundResult(inbound, _help_text(inbound))


def _opt_out(contact: Contact, at, source: str) -> None:
    if not contact.sms_opted_out:
        contact.sms_opted_out = True
        record(
            "contact.sms_opt_out",
            actor="sms",
            school_id=contact.school_id,
            subject=f"contact:{contact.id}",
        )
    queued = db.session.scalars(
        select(Message).where(
            Message.contact_id == contact.id,
            Message.channel == Channel.SMS,
            Message.status == MessageStatus.QUEUED,
        )
    ).all()
    reason = "the parent replied STOP"
    for message in queued:
        fall_back(message, at, reason, flag=False)  # invitations go by email instead
        message.note(at, source, "opted-out", detail=reason)
        message.fail(at, reason)


def _help_text(inbound: InboundMessage) -> str | None:
    if inbound.keyword is not InboundKeyword.HELP:
        return None
    school = db.session.get(School, inbound.school_id) if inbound.school_id else None
    if school is None:
        return "ParentLink: messages from your child's school. Reply STOP to stop texts."
    ways = " or ".join(filter(None, [school.office_phone, school.office_email]))
    office = f" Contact the school office: {ways}." if ways else ""
    return (
        f"{school.short_name}: messages about your child's school.{office} "
        "Reply STOP to stop texts."
    )


def _only_school() -> int | None:
    """A text from an unknown number belongs to the school when there is only one."""
    ids = db.session.scalars(select(School.id).limit(2)).all()
    return ids[0] if len(ids) == 1 else None


def _e164(raw: str) -> str | None:
    try:
        return normalise_mobile(raw, allow_international=True)
    except AddressError:
        return None
