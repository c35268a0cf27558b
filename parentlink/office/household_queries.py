"""Households not yet answered: one row per carer still to answer, with all their
children in the campaign, sortable, a page at a time (counts and sorting in SQL)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import and_, exists, func, select

from parentlink.campaigns.models import Campaign, Invitation, InvitationStatus, invitation_pupil
from parentlink.db import db
from parentlink.directory.models import Contact, Pupil
from parentlink.messaging.models import Message
from parentlink.office.queries import PAGE_SIZE, Page, _audience, _per_pupil, covered_condition

SORTS = {
    "class": "class",
    "quiet": "days since last contact",
    "reminders": "reminders sent",
}
WAITING = (
    InvitationStatus.CREATED,
    InvitationStatus.SENT,
    InvitationStatus.OPENED,
    InvitationStatus.WITHDRAWN,
)


@dataclass
class Household:
    invitation_id: int
    contact_id: int
    name: str
    mobile: str | None
    email: str | None
    details_flagged: bool
    status: str
    reminders_sent: int
    last_contact_at: datetime | None
    children: list[tuple[int, str, str]] = field(default_factory=list)  # id, name, class
    last_message: str | None = None  # "reminder 1 by text, delivered"
    last_message_at: datetime | None = None


def _uncovered(campaign: Campaign):
    """Ids of the pupils in the audience not yet covered."""
    per_pupil = _per_pupil(campaign).subquery()
    return (
        select(Pupil.id)
        .outerjoin(per_pupil, per_pupil.c.pupil_id == Pupil.id)
        .where(_audience(campaign), ~covered_condition(campaign, per_pupil))
    )


def households(
    campaign: Campaign,
    *,
    class_name: str | None = None,
    sort: str = "class",
    page: int = 1,
    per_page: int = PAGE_SIZE,
) -> Page:
    """Carers whose invitation waits for an answer while one of its children is uncovered."""
    uncovered = _uncovered(campaign).subquery()
    child = (
        select(invitation_pupil.c.pupil_id)
        .join(uncovered, uncovered.c.id == invitation_pupil.c.pupil_id)
        .where(invitation_pupil.c.invitation_id == Invitation.id)
    )
    if class_name:
        child = child.join(Pupil, Pupil.id == invitation_pupil.c.pupil_id).where(
            Pupil.class_name == class_name
        )
    conditions = [
        Invitation.campaign_id == campaign.id,
        Invitation.status.in_(WAITING),
        exists(child),
    ]
    first_class = (
        select(func.min(Pupil.class_name))
        .join(invitation_pupil, invitation_pupil.c.pupil_id == Pupil.id)
        .where(invitation_pupil.c.invitation_id == Invitation.id)
        .scalar_subquery()
    )
    last_contact = func.coalesce(Invitation.last_reminded_at, Invitation.sent_at)
    order = {
        "class": [first_class, Contact.last_name, Contact.first_name],
        "quiet": [last_contact.is_(None).desc(), last_contact, Contact.last_name],
        "reminders": [Invitation.reminders_sent.desc(), first_class, Contact.last_name],
    }[sort if sort in SORTS else "class"]
    total = db.session.scalar(select(func.count(Invitation.id)).where(*conditions))
    rows = db.session.execute(
        select(Invitation, Contact)
        .join(Contact, Contact.id == Invitation.contact_id)
        .where(*conditions)
        .order_by(*order, Invitation.id)
        .limit(per_page)
        .offset((max(page, 1) - 1) * per_page)
    ).all()
    items = [
        Household(
            invitation_id=invitation.id,
            contact_id=contact.id,
            name=f"{contact.first_name} {contact.last_name}",
            mobile=contact.mobile,
            email=contact.email,
            details_flagged=contact.details_flagged_at is not None,
            status=invitation.status.value,
            reminders_sent=invitation.reminders_sent,
            last_contact_at=invitation.last_reminded_at or invitation.sent_at,
        )
        for invitation, contact in rows
    ]
    _attach(items)
    return Page(items, page, total, per_page)


KIND_WORDS = {
    "invite": "invitation",
    "reminder-1": "reminder 1",
    "reminder-2": "reminder 2",
    "reminder-3": "reminder 3",
    "new-link": "new link",
}


def _attach(items: list[Household]) -> None:
    """Children and the last message of one page of households (2 queries)."""
    if not items:
        return
    by_id = {h.invitation_id: h for h in items}
    for invitation_id, pupil in db.session.execute(
        select(invitation_pupil.c.invitation_id, Pupil)
        .join(Pupil, Pupil.id == invitation_pupil.c.pupil_id)
        .where(invitation_pupil.c.invitation_id.in_(by_id))
        .order_by(Pupil.first_name, Pupil.id)
    ):
        by_id[invitation_id].children.append(
            (pupil.id, f"{pupil.first_name} {pupil.last_name}", pupil.class_name)
        )
    last = (
        select(func.max(Message.id))
        .where(Message.invitation_id.in_(by_id))
        .group_by(Message.invitation_id)
    )
    for m in db.session.scalars(select(Message).where(Message.id.in_(last))):
        how = "text" if m.channel.value == "sms" else "email"
        what = KIND_WORDS.get(m.kind.value, m.kind.value.replace("-", " "))
        household = by_id[m.invitation_id]
        household.last_message = f"{what} by {how}, {m.status.value}"
        household.last_message_at = m.sent_at or m.created_at


def waiting_invitations(campaign: Campaign, invitation_ids: list[int]) -> list[Invitation]:
    """The chosen invitations that belong to this campaign and still wait for an answer."""
    if not invitation_ids:
        return []
    return list(
        db.session.scalars(
            select(Invitation).where(
                and_(
                    Invitation.id.in_(invitation_ids),
                    Invitation.campaign_id == campaign.id,
                    Invitation.status.in_(WAITING),
                )
            )
        )
    )


def unreachable_children(campaign: Campaign, *, class_name: str | None = None, limit: int = 50):
    """Uncovered pupils with no carer waiting on a link: phone them or send paper. Returns
    (total, first pupils)."""
    uncovered = _uncovered(campaign)
    waiting = (
        select(invitation_pupil.c.pupil_id)
        .join(Invitation, Invitation.id == invitation_pupil.c.invitation_id)
        .where(Invitation.campaign_id == campaign.id, Invitation.status.in_(WAITING))
    )
    query = select(Pupil).where(Pupil.id.in_(uncovered), Pupil.id.not_in(waiting))
    if class_name:
        query = query.where(Pupil.class_name == class_name)
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    pupils = db.session.scalars(
        query.order_by(Pupil.class_name, Pupil.last_name, Pupil.first_name).limit(limit)
    ).all()
    return total, list(pupils)
