"""Chasing the families who have not answered.

A campaign's reminder policy lists its steps: "3:same,7:other,10:both" means a first
reminder 3 school days after launch on the channel the invitation went by, a second on day 7
on the other channel, a third on day 10 on both; never more than three. Carers who are not
priority 1 for any of their children start `priority_lead_days` later. Chasing happens only on
school days inside the sending window. A carer is chased once per step and at most once a
day, whatever the number of their children; once a pupil is covered by the campaign's
completion rule, nobody is chased for that pupil any more.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import and_, exists, or_, select, update
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.attributes import set_committed_value

from parentlink.campaigns.invitation_links import issue_link
from parentlink.campaigns.models import (
    Campaign,
    CampaignStatus,
    CompletionRule,
    Confirmation,
    Invitation,
    InvitationStatus,
    confirmation_pupil,
    invitation_pupil,
)
from parentlink.campaigns.restrictions import still_allowed
from parentlink.core.clock import now
from parentlink.core.filters import and_list
from parentlink.db import db
from parentlink.directory.models import Channel, Contact, PupilContact
from parentlink.messaging.models import MessageKind
from parentlink.messaging.outbox import enqueue, render
from parentlink.schools.calendar import SchoolCalendar

MAX_REMINDERS = 3
DEFAULT_POLICY = "3:same,7:other,10:both"
STEP_CHANNELS = ("same", "other", "both")
REMINDER_KINDS = (MessageKind.REMINDER_1, MessageKind.REMINDER_2, MessageKind.REMINDER_3)
WAITING = (InvitationStatus.CREATED, InvitationStatus.SENT, InvitationStatus.OPENED)


class ReminderPolicyError(ValueError):
    pass


@dataclass(frozen=True)
class Step:
    day: int  # school days after launch
    channels: str  # same, other or both


def parse_policy(text: str) -> list[Step]:
    steps = []
    for item in filter(None, (part.strip() for part in text.split(","))):
        day, _, channels = item.partition(":")
        if not day.isdigit() or int(day) < 1 or channels not in STEP_CHANNELS:
            raise ReminderPolicyError(
                f"{item!r}: each step is <school days after launch>:<same|other|both>"
            )
        steps.append(Step(int(day), channels))
    if len(steps) > MAX_REMINDERS:
        raise ReminderPolicyError(f"at most {MAX_REMINDERS} reminders")
    if [s.day for s in steps] != sorted({s.day for s in steps}):
        raise ReminderPolicyError("the days must go up, each step on a later day")
    return steps


@dataclass
class ChaseCounts:
    campaigns: int = 0
    reminded: int = 0
    messages: int = 0


def chase_all() -> ChaseCounts:
    """The chase job: every open campaign whose school may be chased right now."""
    counts = ChaseCounts()
    at = now()
    campaigns = db.session.scalars(
        select(Campaign)
        .where(Campaign.status == CampaignStatus.OPEN, Campaign.closes_at > at)
        .options(selectinload(Campaign.school))
    ).all()
    for campaign in campaigns:
        calendar = SchoolCalendar(campaign.school)
        if calendar.may_chase_at(at):
            counts.campaigns += 1
            chase_campaign(campaign, calendar, at, counts)
    return counts


def chase_campaign(
    campaign: Campaign, calendar: SchoolCalendar, at: datetime, counts: ChaseCounts
) -> None:
    steps = parse_policy(campaign.reminder_policy)
    elapsed = _elapsed(campaign, calendar, at)
    due_first = sum(step.day <= elapsed for step in steps)
    due_others = sum(step.day + campaign.priority_lead_days <= elapsed for step in steps)
    if due_first == 0:
        return
    start_of_day = datetime.combine(calendar.local(at).date(), time(0), calendar.zone)
    due = due_reminders_query(campaign, due_first, due_others, start_of_day)
    ids = db.session.scalars(due).all()
    for chunk in _chunks(ids, 500):
        # Claim them: locked until this run commits, skipping any another run holds, and
        # still owed once locked (a run that committed first already raised their count),
        # so two chases at once never remind a carer twice.
        claimed = (
            due.where(Invitation.id.in_(chunk))
            .with_for_update(skip_locked=True, of=Invitation)
            .with_only_columns(Invitation)
            .options(selectinload(Invitation.contact), selectinload(Invitation.pupils))
        )
        invitations = db.session.scalars(claimed).all()
        for invitation in invitations:
            step_index = invitation.reminders_sent
            if not claim_reminder(invitation, step_index, at):
                continue  # another run took this reminder first
            counts.messages += _remind(invitation, campaign, steps[step_index], step_index, at)
            counts.reminded += 1


def _elapsed(campaign: Campaign, calendar: SchoolCalendar, at: datetime) -> int:
    """School days since the launch day (the launch day itself not counted)."""
    launched_on = calendar.local(campaign.launched_at or campaign.opens_at).date()
    today = calendar.local(at).date()
    if today <= launched_on:
        return 0
    return calendar.school_days_between(launched_on, today) - calendar.is_school_day(launched_on)


def due_reminders_query(
    campaign: Campaign, due_first: int, due_others: int, start_of_day: datetime
):
    """One indexed query: the ids of the invitations owed a reminder now."""
    owed = Invitation.reminders_sent < due_others  # due_others <= due_first
    if due_first > due_others:  # priority-1 carers are ahead: one more step for them
        is_priority_1 = exists().where(
            PupilContact.contact_id == Invitation.contact_id,
            PupilContact.priority == 1,
            PupilContact.pupil_id == invitation_pupil.c.pupil_id,
            invitation_pupil.c.invitation_id == Invitation.id,
        )
        owed = or_(owed, and_(Invitation.reminders_sent < due_first, is_priority_1))
    query = select(Invitation.id).where(
        Invitation.campaign_id == campaign.id,
        Invitation.status.in_(WAITING),
        owed,
        or_(Invitation.last_reminded_at.is_(None), Invitation.last_reminded_at < start_of_day),
        still_allowed(Invitation.id, Invitation.contact_id),
    )
    if campaign.completion_rule is CompletionRule.ANY_CARER:
        query = query.where(uncovered_pupil_exists(campaign.id))
    return query.order_by(Invitation.id)


def uncovered_pupil_exists(campaign_id: int):
    """The invitation has a child whom no standing confirmation in the campaign covers."""
    mine = invitation_pupil.alias("mine")
    other = Invitation.__table__.alias("other_invitation")
    covered = (
        select(1)
        .select_from(confirmation_pupil)
        .join(Confirmation, Confirmation.id == confirmation_pupil.c.confirmation_id)
        .join(other, other.c.id == Confirmation.invitation_id)
        .where(
            confirmation_pupil.c.pupil_id == mine.c.pupil_id,
            other.c.campaign_id == campaign_id,
            Confirmation.withdrawn_at.is_(None),
        )
    )
    return exists().where(mine.c.invitation_id == Invitation.id, ~exists(covered))


def remind_by_hand(invitation: Invitation, at: datetime) -> int:
    """The office's "remind now": the next reminder, on the carer's own channel, at once.
    It counts as one of the reminders, so the chase goes on from there."""
    index = min(invitation.reminders_sent, MAX_REMINDERS - 1)
    if not claim_reminder(invitation, invitation.reminders_sent, at, counted=index + 1):
        return 0
    return _remind(invitation, invitation.campaign, Step(0, "same"), index, at)


def claim_reminder(
    invitation: Invitation, seen: int, at: datetime, counted: int | None = None
) -> bool:
    """Count the reminder in the database only if the count is still the one we read
    (compare and set): of two runs at once, one wins and the other sends nothing. On
    PostgreSQL the loser waits for the winner's row lock and then finds the count moved;
    on SQLite writers go one at a time, and the second finds it moved too."""
    won = db.session.execute(
        update(Invitation)
        .where(Invitation.id == invitation.id, Invitation.reminders_sent == seen)
        .values(reminders_sent=counted or seen + 1, last_reminded_at=at)
        .execution_options(synchronize_session=False)
    ).rowcount
    if won != 1:
        return False
    set_committed_value(invitation, "reminders_sent", counted or seen + 1)
    set_committed_value(invitation, "last_reminded_at", at)
    return True


def _remind(
    invitation: Invitation, campaign: Campaign, step: Step, index: int, at: datetime
) -> int:
    contact: Contact = invitation.contact
    channels = _channels(contact, step.channels)
    kind = REMINDER_KINDS[index]
    for channel in channels:
        token = issue_link(invitation, kind.value)
        enqueue(
            school_id=invitation.school_id,
            kind=kind,
            channel=channel,
            contact=contact,
            rendered=render(
                kind,
                channel,
                school=campaign.school,
                contact=contact,
                children=and_list([p.first_name for p in invitation.pupils]),
                # a date: the message writes it in its own language
                closes_on=campaign.closes_at.astimezone(ZoneInfo(campaign.school.timezone)).date(),
            ),
            invitation_id=invitation.id,
            link_token=token,
        )
    return len(channels)


def _channels(contact: Contact, which: str) -> list[Channel]:
    first = contact.best_channel()
    if first is None:
        return []
    other = first.other if contact.address_for(first.other) else None
    if which == "same" or other is None:
        return [first]
    if which == "other":
        return [other]
    return [first, other]


def _chunks(items: list, size: int):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def call_list_query(campaign: Campaign):
    """Carers who had every reminder and still have a child not covered: phone them."""
    steps = len(parse_policy(campaign.reminder_policy))
    query = select(Invitation).where(
        Invitation.campaign_id == campaign.id,
        Invitation.status.in_(WAITING),
        Invitation.reminders_sent >= steps,
    )
    if campaign.completion_rule is CompletionRule.ANY_CARER:
        query = query.where(uncovered_pupil_exists(campaign.id))
    return query.order_by(Invitation.id)
