"""Use cases for campaigns: launch a round, confirm from a link."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from parentlink.agreements.models import AgreementVersion, Audience, VersionStatus
from parentlink.campaigns.invitation_links import invitation_id_for
from parentlink.campaigns.models import (
    Answer,
    AudienceKind,
    Campaign,
    ClauseResponse,
    Confirmation,
    ConfirmationChannel,
    Invitation,
    InvitationStatus,
)
from parentlink.core.audit import record
from parentlink.core.clock import now
from parentlink.core.filters import and_list
from parentlink.core.tokens import hash_token, new_reference, new_token
from parentlink.db import db
from parentlink.directory.models import Contact, Pupil, PupilContact
from parentlink.messaging.models import MessageKind
from parentlink.messaging.outbox import enqueue, render
from parentlink.messaging.preview import segment_limit_problem
from parentlink.messaging.templates import TemplateProblem
from parentlink.schools.models import School


class CampaignError(ValueError):
    """A campaign cannot be launched as asked; the message says why."""


@dataclass
class LaunchSummary:
    campaign: Campaign
    invitations: int
    messages: int
    unreachable: list[int]  # contact ids with no usable mobile or email


def eligible_families(
    school_id: int, pupils_wanted: Select | None = None
) -> dict[Contact, list[Pupil]]:
    """Each contact with parental responsibility (and no court-order restriction) and the
    current pupils they may be asked about: one invitation covers all their children.
    `pupils_wanted` (a SELECT of pupil ids) narrows the audience."""
    query = (
        select(Contact, Pupil)
        .join(PupilContact, PupilContact.contact_id == Contact.id)
        .join(Pupil, Pupil.id == PupilContact.pupil_id)
        .where(
            PupilContact.school_id == school_id,
            PupilContact.parental_responsibility.is_(True),
            PupilContact.court_order_restriction.is_(False),
            Pupil.left_on.is_(None),
        )
        .order_by(Contact.id, Pupil.first_name)
    )
    if pupils_wanted is not None:
        query = query.where(Pupil.id.in_(pupils_wanted))
    rows = db.session.execute(query)
    families: dict[Contact, list[Pupil]] = {}
    for contact, pupil in rows:
        families.setdefault(contact, []).append(pupil)
    return families


def launch_campaign(
    school: School,
    version: AgreementVersion,
    *,
    name: str,
    closes_at: datetime,
    actor: str,
    audience: AudienceKind = AudienceKind.WHOLE_SCHOOL,
    pupils_wanted: Select | None = None,
) -> LaunchSummary:
    """Create the campaign, one invitation per eligible contact and one message each.
    `pupils_wanted` narrows a campaign to some pupils (the audience says which)."""
    at = now()
    if version.status is not VersionStatus.PUBLISHED:
        raise CampaignError(f"version {version.label} is not published")
    if closes_at <= at:
        raise CampaignError("the close date must be in the future")
    try:
        too_long = segment_limit_problem(school)  # nothing is written while SMS are too long
    except TemplateProblem as exc:
        raise CampaignError(f"a message template needs fixing: {exc}") from exc
    if too_long:
        raise CampaignError(too_long)
    campaign = Campaign(
        school_id=school.id,
        version_id=version.id,
        name=name,
        opens_at=at,
        closes_at=closes_at,
        audience_kind=audience,
    )
    campaign.launch(at)
    db.session.add(campaign)
    db.session.flush()
    summary = LaunchSummary(campaign, 0, 0, [])
    for contact, pupils in eligible_families(school.id, pupils_wanted).items():
        channel = contact.best_channel()
        if channel is None:
            summary.unreachable.append(contact.id)
            continue
        token = new_token()
        invitation = Invitation(
            school_id=school.id,
            campaign_id=campaign.id,
            contact_id=contact.id,
            token_hash=hash_token(token),
            pupils=pupils,
        )
        db.session.add(invitation)
        db.session.flush()
        rendered = render(
            MessageKind.INVITE,
            channel,
            school=school,
            contact=contact,
            children=and_list([p.first_name for p in pupils]),
        )
        enqueue(
            school_id=school.id,
            kind=MessageKind.INVITE,
            channel=channel,
            contact=contact,
            rendered=rendered,
            invitation_id=invitation.id,
            link_token=token,
        )
        summary.invitations += 1
        summary.messages += 1
    db.session.flush()
    record(
        "campaign.launch",
        actor=actor,
        school_id=school.id,
        subject=f"campaign:{campaign.id}",
        invitations=summary.invitations,
        unreachable=len(summary.unreachable),
    )
    return summary


def find_invitation(token: str, *, for_update: bool = False) -> Invitation | None:
    """The invitation a link belongs to: its first link, or any later one (reminders...)."""
    invitation = _load_invitation(Invitation.token_hash == hash_token(token), for_update)
    if invitation is None:
        invitation_id = invitation_id_for(token)
        if invitation_id is not None:
            invitation = _load_invitation(Invitation.id == invitation_id, for_update)
    return invitation


def _load_invitation(condition, for_update: bool) -> Invitation | None:
    query = (
        select(Invitation)
        .where(condition)
        .options(
            joinedload(Invitation.contact),
            joinedload(Invitation.campaign).joinedload(Campaign.school),
            joinedload(Invitation.campaign).joinedload(Campaign.version),
            selectinload(Invitation.pupils),
        )
    )
    if for_update:
        # PostgreSQL: a second submit waits for the first (only the invitation row is locked)
        query = query.with_for_update(of=Invitation)
    return db.session.scalar(query)


class AlreadyConfirmed(Exception):
    def __init__(self, confirmation: Confirmation) -> None:
        self.confirmation = confirmation


def confirm(
    invitation: Invitation,
    *,
    typed_name: str,
    ip_address: str | None,
    user_agent: str | None,
    language: str = "en",
    answers: dict[str, tuple[Answer, str | None]] | None = None,
) -> Confirmation:
    """Record the parent's confirmation of the campaign's version for their children.

    `answers` maps each parent clause's key to "agree" or "question" (with the question's
    text); a clause left out counts as agreed. A confirmation with questions is still a
    confirmation: the questions go to the office's follow-up list."""
    answers = answers or {}
    existing = latest_confirmation(invitation)
    if existing is not None and existing.withdrawn_at is None:
        raise AlreadyConfirmed(existing)
    at = now()
    version = invitation.campaign.version
    confirmation = Confirmation(
        school_id=invitation.school_id,
        reference=new_reference("PL"),
        invitation_id=invitation.id,
        contact_id=invitation.contact_id,
        version_id=version.id,
        version_sha256=version.sha256,
        typed_name=typed_name,
        confirmed_at=at,
        ip_address=ip_address,
        user_agent=(user_agent or "")[:500] or None,
        language=language,
        channel=ConfirmationChannel.LINK,
        pupils=list(invitation.pupils),
        responses=[
            ClauseResponse(
                clause_id=clause.id,
                answer=answers.get(clause.key, (Answer.AGREE, None))[0],
                question=answers.get(clause.key, (Answer.AGREE, None))[1],
            )
            for clause in version.clauses_for(Audience.PARENTS_CARERS)
        ],
    )
    try:
        with db.session.begin_nested():
            db.session.add(confirmation)
            invitation.mark_opened(at)
            invitation.mark_confirmed(at)
            db.session.flush()
    except IntegrityError:  # another request confirmed this link a moment ago
        raise AlreadyConfirmed(latest_confirmation(invitation)) from None
    record(
        "confirmation.create",
        actor=f"contact:{invitation.contact_id}",
        school_id=invitation.school_id,
        subject=f"confirmation:{confirmation.id}",
        questions=sum(1 for r in confirmation.responses if r.answer is Answer.QUESTION),
    )
    return confirmation


def latest_confirmation(invitation: Invitation) -> Confirmation | None:
    return db.session.scalar(
        select(Confirmation)
        .where(Confirmation.invitation_id == invitation.id)
        .order_by(Confirmation.id.desc())
        .limit(1)
    )


def is_confirmed(invitation: Invitation) -> bool:
    return invitation.status is InvitationStatus.CONFIRMED
