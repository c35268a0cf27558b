"""Use cases after a confirmation: the receipt message, withdrawing, and finding what a parent
confirmed before (so a new version can show what changed)."""

from __future__ import annotations

from sqlalchemy import select

from parentlink.agreements.models import AgreementVersion
from parentlink.campaigns.models import (
    Campaign,
    Confirmation,
    Invitation,
)
from parentlink.core.audit import record
from parentlink.core.clock import now
from parentlink.core.filters import and_list
from parentlink.db import db
from parentlink.messaging.models import MessageKind
from parentlink.messaging.outbox import enqueue, render


class NothingToWithdraw(Exception):
    """The link has no standing confirmation (never confirmed, or already withdrawn)."""


def send_receipt(invitation: Invitation, confirmation: Confirmation, *, token: str) -> bool:
    """Queue the receipt (reference and the same link) by the parent's usual channel."""
    contact = invitation.contact
    channel = contact.best_channel()
    if channel is None:
        return False
    school = invitation.campaign.school
    rendered = render(
        MessageKind.RECEIPT,
        channel,
        school=school,
        contact=contact,
        reference=confirmation.reference,
        children=and_list([p.first_name for p in confirmation.pupils]),
        has_questions=confirmation.has_questions,
    )
    enqueue(
        school_id=invitation.school_id,
        kind=MessageKind.RECEIPT,
        channel=channel,
        contact=contact,
        rendered=rendered,
        invitation_id=invitation.id,
        link_token=token,
    )
    return True


def withdraw(invitation: Invitation, *, reason: str | None) -> Confirmation:
    """The parent takes back their confirmation; the reason is kept for the office."""
    confirmation = standing_confirmation(invitation)
    if confirmation is None:
        raise NothingToWithdraw
    at = now()
    confirmation.withdraw(at, reason)
    invitation.mark_withdrawn()
    db.session.flush()
    record(
        "confirmation.withdraw",
        actor=f"contact:{invitation.contact_id}",
        school_id=invitation.school_id,
        subject=f"confirmation:{confirmation.id}",
    )
    return confirmation


def standing_confirmation(invitation: Invitation) -> Confirmation | None:
    return db.session.scalar(
        select(Confirmation).where(
            Confirmation.invitation_id == invitation.id, Confirmation.withdrawn_at.is_(None)
        )
    )


def last_withdrawn(invitation: Invitation) -> Confirmation | None:
    return db.session.scalar(
        select(Confirmation)
        .where(Confirmation.invitation_id == invitation.id, Confirmation.withdrawn_at.is_not(None))
        .order_by(Confirmation.withdrawn_at.desc(), Confirmation.id.desc())
        .limit(1)
    )


def earlier_confirmation(invitation: Invitation) -> Confirmation | None:
    """The contact's most recent standing confirmation, in an earlier campaign, of another
    version of the same agreement: the base for "what changed since you last confirmed"."""
    version = invitation.campaign.version
    return db.session.scalar(
        select(Confirmation)
        .join(Invitation, Invitation.id == Confirmation.invitation_id)
        .join(Campaign, Campaign.id == Invitation.campaign_id)
        .join(AgreementVersion, AgreementVersion.id == Confirmation.version_id)
        .where(
            Confirmation.contact_id == invitation.contact_id,
            Confirmation.withdrawn_at.is_(None),
            Invitation.id != invitation.id,
            AgreementVersion.agreement_id == version.agreement_id,
            AgreementVersion.id != version.id,
        )
        .order_by(Confirmation.confirmed_at.desc(), Confirmation.id.desc())
        .limit(1)
    )
