""" "Send me a new link": a fresh personal link, only ever to the details the school has on file.

The parent types a mobile number or an email address. If it matches contacts on file with an
invitation still in use, each gets a new token (the old link stops working) and a message to
the address on file; nothing is ever sent to an address that only the visitor supplied. The
caller shows the same answer whether or not anything matched.
"""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy import func, select

from parentlink.campaigns.invitation_links import revoke_extra_links
from parentlink.campaigns.models import Campaign, CampaignStatus, Invitation, InvitationStatus
from parentlink.campaigns.restrictions import still_allowed
from parentlink.core.audit import record
from parentlink.core.clock import now
from parentlink.core.filters import and_list
from parentlink.core.tokens import hash_token, new_token
from parentlink.db import db
from parentlink.directory.models import Channel, Contact
from parentlink.messaging.addresses import AddressError, normalise_email, normalise_mobile
from parentlink.messaging.models import Message, MessageKind
from parentlink.messaging.outbox import enqueue, render

PER_CONTACT_PER_DAY = 3  # new links a contact can be sent in 24 hours, however asked


def parse_address(raw: str) -> tuple[Channel, str] | None:
    """What the visitor typed, as (channel, normalised address), or None if it is neither."""
    text = (raw or "").strip()
    if "@" in text:
        try:
            return Channel.EMAIL, normalise_email(text)
        except AddressError:
            return None
    try:
        return Channel.SMS, normalise_mobile(text, allow_international=True)
    except AddressError:
        return None


def _recent_new_links(contact_id: int) -> int:
    since = now() - timedelta(days=1)
    return db.session.scalar(
        select(func.count(Message.id)).where(
            Message.contact_id == contact_id,
            Message.kind == MessageKind.NEW_LINK,
            Message.created_at >= since,
        )
    )


def send_new_links(raw_address: str, *, ip_address: str | None) -> int:
    """Re-issue the links of the matching contacts; returns how many were sent (for tests
    and the audit log only: never shown to the visitor)."""
    parsed = parse_address(raw_address)
    if parsed is None:
        return 0
    channel, address = parsed
    column = Contact.mobile if channel is Channel.SMS else Contact.email
    at = now()
    grace = timedelta(days=current_app.config["LINK_GRACE_DAYS"])
    rows = db.session.execute(
        select(Invitation, Contact)
        .join(Contact, Contact.id == Invitation.contact_id)
        .join(Campaign, Campaign.id == Invitation.campaign_id)
        .where(
            column == address,
            Invitation.status != InvitationStatus.REVOKED,
            Campaign.status != CampaignStatus.DRAFT,
            Campaign.closes_at >= at - grace,
            still_allowed(Invitation.id, Invitation.contact_id),  # no court order, PR, linked
        )
        .order_by(Invitation.id)
        .with_for_update(of=Invitation)
    ).all()
    sent = 0
    for invitation, contact in rows:
        if contact.address_for(channel) != address:  # e.g. this mobile opted out of SMS
            continue
        if _recent_new_links(contact.id) >= PER_CONTACT_PER_DAY:
            continue
        token = new_token()
        invitation.token_hash = hash_token(token)
        revoke_extra_links(invitation.id)  # reminders' links stop working too
        school = invitation.campaign.school
        rendered = render(
            MessageKind.NEW_LINK,
            channel,
            school=school,
            contact=contact,
            children=and_list([p.first_name for p in invitation.pupils]),
        )
        enqueue(
            school_id=invitation.school_id,
            kind=MessageKind.NEW_LINK,
            channel=channel,
            contact=contact,
            rendered=rendered,
            invitation_id=invitation.id,
            link_token=token,
        )
        db.session.flush()
        record(
            "invitation.new_link",
            actor=f"contact:{contact.id}",
            school_id=invitation.school_id,
            subject=f"invitation:{invitation.id}",
            ip=ip_address,
        )
        sent += 1
    return sent
