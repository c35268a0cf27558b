"""Channel fallback: when one channel fails for good, try the contact's other one, once.

Permanent failures that say something about the contact's details (an invalid or
non-mobile number, a number that replied STOP, an `undelivered`/`failed` report, an SMTP
5xx refusal) flag the contact for the office's data-quality list, and an invitation's
message moves to the other channel if the contact has one. A fallback never falls back.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import exists, select

from parentlink.campaigns.models import Invitation
from parentlink.core.filters import and_list
from parentlink.core.tokens import hash_token, new_token
from parentlink.db import db
from parentlink.directory.models import FAILED_DETAIL, Channel, Contact, failure_flag
from parentlink.messaging.models import Message, MessageKind
from parentlink.messaging.outbox import enqueue, render
from parentlink.schools.models import School

# Twilio errors about the number itself (not our account, not the text), and Notify's
# refusal of a number or an address (gateways/notify.py).
FALLBACK_CODES = frozenset(
    {"21211", "21214", "21610", "21612", "21614", "notify-bad-number", "notify-bad-email"}
)
UNSUBSCRIBED = "21610"
# Twilio's delivery errors that mean the number cannot take texts at all: an unknown
# handset, a landline ("do not retry the same SMS to that destination"). 30003, a phone
# off or out of coverage, passes.
DEAD_NUMBER_REPORTS = frozenset({"30005", "30006"})
INVITATION_KINDS = frozenset(
    {
        MessageKind.INVITE,
        MessageKind.REMINDER_1,
        MessageKind.REMINDER_2,
        MessageKind.REMINDER_3,
        MessageKind.NEW_LINK,
    }
)


def fall_back(
    message: Message,
    at: datetime,
    reason: str,
    error_code: str | None = None,
    *,
    flag: bool = True,
    dead: bool = False,
) -> Message | None:
    """Flag the contact (unless `flag` is False: the details are fine, the parent chose);
    queue the invitation on the other channel once. The new message, or None. Call it
    before the failed message's transition (which forgets its token). `dead`: the number
    or address can never be reached (invalid, a landline, a hard bounce); nothing more goes
    to it until the MIS gives another (Contact.failed_mobile, failed_email)."""
    contact = db.session.get(Contact, message.contact_id) if message.contact_id else None
    if contact is None:
        return None
    if flag:
        contact.details_flagged_at = at
        contact.details_flag_reason = failure_flag(message.channel, reason)
    if dead:  # contact.failed_mobile or contact.failed_email
        setattr(contact, f"failed_{FAILED_DETAIL[message.channel][0]}", message.to_address)
    if message.channel is Channel.SMS and error_code == UNSUBSCRIBED:
        contact.sms_opted_out = True
    other = message.channel.other
    if (
        message.fallback_for_id is not None
        or message.invitation_id is None
        or message.kind not in INVITATION_KINDS
        or not contact.address_for(other)
        or db.session.scalar(select(exists().where(Message.fallback_for_id == message.id)))
    ):
        return None
    invitation = db.session.get(Invitation, message.invitation_id)
    token = message.link_token
    if token is None:  # already sent (a late report): the link must be issued again
        token = new_token()
        invitation.token_hash = hash_token(token)
    school = db.session.get(School, message.school_id)
    rendered = render(
        message.kind,
        other,
        school=school,
        contact=contact,
        children=and_list([p.first_name for p in invitation.pupils]),
    )
    replacement = enqueue(
        school_id=message.school_id,
        kind=message.kind,
        channel=other,
        contact=contact,
        rendered=rendered,
        invitation_id=invitation.id,
        link_token=token,
    )
    replacement.fallback_for_id = message.id
    message.note(at, "dispatcher", "fallback", detail=f"sent again by {other.value}")
    return replacement
