"""Record a confirmation the office took on paper or by phone: evidence like any other,
and it stops the chase for that carer."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from parentlink.agreements.models import Audience
from parentlink.campaigns.models import (
    Answer,
    Campaign,
    CampaignStatus,
    ClauseResponse,
    Confirmation,
    ConfirmationChannel,
    Invitation,
    InvitationStatus,
)
from parentlink.core.audit import record
from parentlink.core.clock import now
from parentlink.core.tokens import hash_token, new_reference, new_token
from parentlink.db import db
from parentlink.directory.models import Contact, Pupil, PupilContact


class PaperConfirmationError(ValueError):
    """The reply cannot be recorded as asked; the message says why."""


def record_paper_confirmation(
    campaign: Campaign,
    contact: Contact,
    *,
    channel: ConfirmationChannel,
    typed_name: str,
    note: str | None,
    staff_id: int,
    questions: dict[str, str] | None = None,
) -> Confirmation:
    """`questions` maps a point's key to the question the carer wrote or asked beside it;
    every other point counts as agreed. The questions go to the office's list like any."""
    questions = {k: v.strip()[:2000] for k, v in (questions or {}).items() if v and v.strip()}
    if channel not in (ConfirmationChannel.PAPER, ConfirmationChannel.PHONE):
        raise PaperConfirmationError("choose paper or phone")
    if campaign.status is not CampaignStatus.OPEN:
        raise PaperConfirmationError("this campaign is closed")
    if contact.school_id != campaign.school_id:
        raise PaperConfirmationError("this carer is not at this school")
    typed_name = (typed_name or "").strip()
    if not typed_name:
        raise PaperConfirmationError("write the carer's name as they gave it")
    invitation = db.session.scalar(
        select(Invitation)
        .where(Invitation.campaign_id == campaign.id, Invitation.contact_id == contact.id)
        .with_for_update()
    )
    if invitation is None:
        invitation = _invitation_without_message(campaign, contact)
    if invitation.status is InvitationStatus.CONFIRMED:
        raise PaperConfirmationError(
            f"{contact.first_name} {contact.last_name} has already confirmed"
        )
    if invitation.status is InvitationStatus.REVOKED:
        raise PaperConfirmationError("this carer's invitation was withdrawn by the school")
    at = now()
    version = campaign.version
    confirmation = Confirmation(
        school_id=campaign.school_id,
        reference=new_reference("PL"),
        invitation_id=invitation.id,
        contact_id=contact.id,
        version_id=version.id,
        version_sha256=version.sha256,
        typed_name=typed_name[:200],
        confirmed_at=at,
        language="en",
        channel=channel,
        recorded_by_id=staff_id,
        note=(note or "").strip() or None,
        pupils=list(invitation.pupils),
        responses=[
            ClauseResponse(
                clause_id=clause.id,
                answer=Answer.QUESTION if clause.key in questions else Answer.AGREE,
                question=questions.get(clause.key),
            )
            for clause in version.clauses_for(Audience.PARENTS_CARERS)
        ],
    )
    try:
        with db.session.begin_nested():
            db.session.add(confirmation)
            invitation.mark_confirmed(at)
            db.session.flush()
    except IntegrityError:
        raise PaperConfirmationError("this carer confirmed a moment ago") from None
    record(
        "confirmation.record_offline",
        actor=f"staff:{staff_id}",
        school_id=campaign.school_id,
        subject=f"confirmation:{confirmation.id}",
        channel=channel.value,
        contact=contact.id,
        questions=len(questions),
    )
    return confirmation


def _invitation_without_message(campaign: Campaign, contact: Contact) -> Invitation:
    """A carer the campaign could not reach still gets an invitation to hang the evidence on."""
    pupils = list(
        db.session.scalars(
            select(Pupil)
            .join(PupilContact, PupilContact.pupil_id == Pupil.id)
            .where(
                PupilContact.contact_id == contact.id,
                PupilContact.parental_responsibility.is_(True),
                PupilContact.court_order_restriction.is_(False),
                Pupil.left_on.is_(None),
            )
            .order_by(Pupil.first_name)
        )
    )
    if not pupils:
        raise PaperConfirmationError(
            "this carer has no parental responsibility for a current pupil"
        )
    invitation = Invitation(
        school_id=campaign.school_id,
        campaign_id=campaign.id,
        contact_id=contact.id,
        token_hash=hash_token(new_token()),  # never sent: nobody holds this link
        pupils=pupils,
    )
    db.session.add(invitation)
    db.session.flush()
    return invitation


def paper_form_link(
    campaign: Campaign, contact: Contact, *, staff_id: int
) -> tuple[Invitation, str]:
    """A printed form for a family without a phone: their invitation (made now if the launch
    could not reach them) and a link of its own for the form's QR code."""
    from parentlink.campaigns.invitation_links import issue_link

    if campaign.status is not CampaignStatus.OPEN:
        raise PaperConfirmationError("this campaign is closed")
    if contact.school_id != campaign.school_id:
        raise PaperConfirmationError("this carer is not at this school")
    invitation = db.session.scalar(
        select(Invitation).where(
            Invitation.campaign_id == campaign.id, Invitation.contact_id == contact.id
        )
    )
    if invitation is None:
        invitation = _invitation_without_message(campaign, contact)
    if invitation.status is InvitationStatus.REVOKED:
        raise PaperConfirmationError("this carer's invitation was withdrawn by the school")
    token = issue_link(invitation, "paper")
    record(
        "invitation.paper_form",
        actor=f"staff:{staff_id}",
        school_id=campaign.school_id,
        subject=f"invitation:{invitation.id}",
        contact=contact.id,
    )
    return invitation, token
