"""Use cases for campaigns: launch a round, confirm from a link."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from parentlink.agreements.models import AgreementVersion, Audience, VersionStatus
from parentlink.agreements.queries import frozen_clauses
from parentlink.campaigns.bulk import FAMILY_COLUMNS, Planned, families
from parentlink.campaigns.chase import DEFAULT_POLICY, ReminderPolicyError, parse_policy
from parentlink.campaigns.invitation_links import invitation_id_for
from parentlink.campaigns.models import (
    Answer,
    AudienceKind,
    Campaign,
    ClauseResponse,
    CompletionRule,
    Confirmation,
    ConfirmationChannel,
    Invitation,
    InvitationStatus,
)
from parentlink.campaigns.one_link import not_already_asked
from parentlink.core.audit import record
from parentlink.core.clock import now
from parentlink.core.filters import and_list
from parentlink.core.i18n import english_plural
from parentlink.core.text import without_controls
from parentlink.core.tokens import hash_token, new_reference
from parentlink.db import db
from parentlink.directory.models import (
    Channel,
    Contact,
    Pupil,
    PupilContact,
    best_channel,
)
from parentlink.messaging.models import LINK_PLACEHOLDER, MessageKind
from parentlink.messaging.outbox import TOKEN_LENGTH, personal_link
from parentlink.messaging.sms_rules import count_sms
from parentlink.messaging.stencils import Stencils
from parentlink.messaging.templates import TemplateProblem, check_templates
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
    school_id: int,
    pupils_wanted: Select | None = None,
    contact_ids: list[int] | None = None,
    pairs=None,
) -> dict[Contact, list[Pupil]]:
    """Each contact with parental responsibility (and no court-order restriction) and the
    current pupils they may be asked about: one invitation covers all their children.
    `pupils_wanted` (a SELECT of pupil ids) narrows the audience; `contact_ids` picks
    some of its families (a preview's samples); `pairs`, a condition on the pupil-carer
    link, leaves some out (one_link.not_already_asked)."""
    query = _eligible(select(Contact, Pupil), school_id, pupils_wanted, contact_ids, pairs)
    families: dict[Contact, list[Pupil]] = {}
    for contact, pupil in db.session.execute(query):
        families.setdefault(contact, []).append(pupil)
    return families


def _eligible(query: Select, school_id: int, pupils_wanted, contact_ids, pairs) -> Select:
    query = (
        query.join(PupilContact, PupilContact.contact_id == Contact.id)
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
    if contact_ids is not None:
        query = query.where(Contact.id.in_(contact_ids))
    if pairs is not None:
        query = query.where(pairs)
    return query


def launch_campaign(
    school: School,
    version: AgreementVersion,
    *,
    name: str,
    closes_at: datetime,
    actor: str,
    audience: AudienceKind = AudienceKind.WHOLE_SCHOOL,
    audience_values: str = "",
    pupils_wanted: Select | None = None,
    completion_rule: CompletionRule = CompletionRule.ANY_CARER,
    reminder_policy: str = DEFAULT_POLICY,
    ask_again: bool = False,
) -> LaunchSummary:
    """Create the campaign, one invitation per eligible contact and one message each.
    `pupils_wanted` narrows a campaign to some pupils (the audience says which). Nothing is
    written if any SMS would be longer than the school's segment limit. Pupils already covered
    by this version, and carers already holding a live link for it, are left out unless
    `ask_again` (campaigns/one_link.py)."""
    at = now()
    if version.status is not VersionStatus.PUBLISHED:
        raise CampaignError(f"version {version.label} is not published")
    if closes_at <= at:
        raise CampaignError("the close date must be in the future")
    try:
        parse_policy(reminder_policy)
        check_templates()
    except ReminderPolicyError as exc:
        raise CampaignError(f"the reminder policy {reminder_policy!r} is not right: {exc}") from exc
    except TemplateProblem as exc:
        raise CampaignError(f"a message template needs fixing: {exc}") from exc
    pairs = None if ask_again else not_already_asked(version.id)
    planned, unreachable, too_long = _plan(school, pupils_wanted, pairs)
    if too_long:  # nothing is written while SMS are too long
        raise CampaignError(
            english_plural(
                "%(num)d text message cannot be sent as it is",
                "%(num)d text messages cannot be sent as they are",
                len(too_long),
            )
            + " (the school's limit is "
            + english_plural("%(num)d segment", "%(num)d segments", school.sms_segment_limit)
            + f"), for example {'; '.join(too_long[:3])}. "
            "Shorten the names in the MIS or ask these families by email or on paper, "
            "then try again"
        )
    campaign = Campaign(
        school_id=school.id,
        version_id=version.id,
        name=name,
        opens_at=at,
        closes_at=closes_at,
        audience_kind=audience,
        audience_values=audience_values,
        completion_rule=completion_rule,
        reminder_policy=reminder_policy,
    )
    campaign.launch(at)
    db.session.add(campaign)
    db.session.flush()
    planned.write(school.id, campaign.id, at)
    record(
        "campaign.launch",
        actor=actor,
        school_id=school.id,
        subject=f"campaign:{campaign.id}",
        invitations=len(planned),
        unreachable=len(unreachable),
        audience=audience.value,
        completion_rule=completion_rule.value,
        reminder_policy=reminder_policy,
        asked_again=ask_again,
    )
    return LaunchSummary(campaign, len(planned), len(planned), unreachable)


def _plan(school: School, pupils_wanted: Select | None, pairs) -> tuple[Planned, list, list]:
    """Every eligible family's invitation and message, before anything is written: what
    will be written, the carers who cannot be reached, the SMS over the school's limit."""
    db.session.flush()  # the families are read on the connection: pending changes first
    stencils = Stencils(MessageKind.INVITE, school=school)  # each template rendered once
    sample_link = personal_link("x" * TOKEN_LENGTH)  # SMS are counted with a real link's length
    planned, unreachable, too_long = Planned(), [], []
    query = _eligible(select(*FAMILY_COLUMNS), school.id, pupils_wanted, None, pairs)
    for contact, pupils in families(query):
        channel = best_channel(contact)
        if channel is None:
            unreachable.append(contact.id)
            continue
        children = and_list([p.pupil_first_name for p in pupils])
        rendered = stencils.render(channel, contact, children)
        segments = None
        if channel is Channel.SMS:
            counted = count_sms(rendered.body.replace(LINK_PLACEHOLDER, sample_link))
            segments = counted.count
            refusal = counted.refusal(school.sms_segment_limit)
            if refusal:
                who = f"{contact.first_name} {contact.last_name} (for {children})"
                too_long.append(f"{who}: {refusal}")
        planned.add(contact, pupils, channel, rendered, segments)
    return planned, unreachable, too_long


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
        user_agent=without_controls(user_agent or "")[:500] or None,
        language=language,
        channel=ConfirmationChannel.LINK,
        pupils=list(invitation.pupils),
        responses=[
            ClauseResponse(
                clause_id=clause.id,
                answer=answers.get(clause.key, (Answer.AGREE, None))[0],
                question=answers.get(clause.key, (Answer.AGREE, None))[1],
            )
            # the version's parent clauses as kept per process once frozen (no query)
            for clause in frozen_clauses(version.id, version.sha256, Audience.PARENTS_CARERS)
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
