"""Reads for the office pages. Every count is a SQL aggregate; lists come a page at a time."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import and_, case, exists, func, or_, select

from parentlink.campaigns.models import (
    AudienceKind,
    Campaign,
    CampaignStatus,
    CompletionRule,
    Invitation,
    InvitationStatus,
    invitation_pupil,
)
from parentlink.db import db
from parentlink.directory.models import Channel, Pupil
from parentlink.messaging.models import Message, MessageStatus

PAGE_SIZE = 50
YEAR_ORDER = ("Nursery", "Reception", *(f"Year {n}" for n in range(1, 14)))


def current_campaign(school_id: int, campaign_id: int | None = None) -> Campaign | None:
    """The campaign asked for, else the open one most recently launched, else the latest."""
    query = select(Campaign).where(Campaign.school_id == school_id)
    if campaign_id is not None:
        return db.session.scalar(query.where(Campaign.id == campaign_id))
    return db.session.scalar(
        query.order_by(
            (Campaign.status == CampaignStatus.OPEN).desc(),
            Campaign.launched_at.desc(),
            Campaign.id.desc(),
        ).limit(1)
    )


def _audience(campaign: Campaign):
    """Conditions on Pupil for the pupils a campaign asks about (current pupils only)."""
    values = [v.strip() for v in campaign.audience_values.split(",") if v.strip()]
    conditions = [Pupil.school_id == campaign.school_id, Pupil.left_on.is_(None)]
    if campaign.audience_kind is AudienceKind.YEAR_GROUPS:
        conditions.append(Pupil.year_group.in_(values))
    elif campaign.audience_kind is AudienceKind.CLASSES:
        conditions.append(Pupil.class_name.in_(values))
    elif campaign.audience_kind is AudienceKind.NEW_STARTERS:
        conditions.append(Pupil.id.in_(_per_pupil(campaign).with_only_columns(_pupil_col())))
    return and_(*conditions)


def _pupil_col():
    return invitation_pupil.c.pupil_id


def _per_pupil(campaign: Campaign):
    """Per pupil: how many live invitations ask about them, how many are confirmed."""
    return (
        select(
            invitation_pupil.c.pupil_id.label("pupil_id"),
            func.count().label("invited"),
            func.sum(case((Invitation.status == InvitationStatus.CONFIRMED, 1), else_=0)).label(
                "confirmed"
            ),
        )
        .join(Invitation, Invitation.id == invitation_pupil.c.invitation_id)
        .where(
            Invitation.campaign_id == campaign.id,
            Invitation.status != InvitationStatus.REVOKED,
        )
        .group_by(invitation_pupil.c.pupil_id)
    )


def covered_condition(campaign: Campaign, per_pupil):
    """SQL for "this pupil is covered" under the campaign's completion rule."""
    confirmed = func.coalesce(per_pupil.c.confirmed, 0)
    if campaign.completion_rule is CompletionRule.EVERY_CARER:
        return and_(confirmed > 0, confirmed == per_pupil.c.invited)
    return confirmed > 0


@dataclass
class Coverage:
    label: str
    pupils: int
    covered: int
    children: list[Coverage] = field(default_factory=list)

    @property
    def percent(self) -> int:
        return round(100 * self.covered / self.pupils) if self.pupils else 0

    @property
    def not_covered(self) -> int:
        return self.pupils - self.covered


def coverage(campaign: Campaign) -> Coverage:
    """Pupils covered overall, by year group and by class (one GROUP BY query)."""
    per_pupil = _per_pupil(campaign).subquery()
    covered = covered_condition(campaign, per_pupil)
    rows = db.session.execute(
        select(
            Pupil.year_group,
            Pupil.class_name,
            func.count(Pupil.id),
            func.sum(case((covered, 1), else_=0)),
        )
        .outerjoin(per_pupil, per_pupil.c.pupil_id == Pupil.id)
        .where(_audience(campaign))
        .group_by(Pupil.year_group, Pupil.class_name)
    ).all()
    return coverage_tree(rows)


def coverage_tree(rows) -> Coverage:
    """(year group, class, pupils, covered) rows as the whole school, its year groups in
    school order and their classes."""
    years: dict[str, Coverage] = {}
    for year, class_name, pupils, done in rows:
        group = years.setdefault(year, Coverage(year, 0, 0))
        group.children.append(Coverage(class_name, pupils, int(done or 0)))
        group.pupils += pupils
        group.covered += int(done or 0)
    order = {name: i for i, name in enumerate(YEAR_ORDER)}
    ordered = sorted(years.values(), key=lambda g: (order.get(g.label, 99), g.label))
    for group in ordered:
        group.children.sort(key=lambda c: c.label)
    return Coverage(
        "Whole school",
        sum(g.pupils for g in ordered),
        sum(g.covered for g in ordered),
        ordered,
    )


@dataclass(frozen=True)
class Funnel:
    """Invitations at each stage or beyond. "Delivered" is only what a provider reported: a
    text whose delivery report came back. Email has no delivery report: an email the mail
    server accepted is "sent" and stays so unless it bounces, so opened and confirmed can
    be more than delivered."""

    invited: int
    sent: int
    delivered: int
    opened: int
    confirmed: int
    on_paper: int  # of the confirmed, recorded by staff from a paper or phone reply

    def stages(self) -> list[tuple[str, int]]:
        return [
            ("Sent", self.sent),
            ("Delivered", self.delivered),
            ("Opened", self.opened),
            ("Confirmed", self.confirmed),
        ]


def funnel(campaign: Campaign) -> Funnel:
    from parentlink.campaigns.models import Confirmation, ConfirmationChannel

    confirmed = Invitation.status == InvitationStatus.CONFIRMED
    opened = or_(Invitation.opened_at.is_not(None), confirmed)
    delivered = exists().where(
        Message.invitation_id == Invitation.id,
        Message.channel == Channel.SMS,
        Message.status == MessageStatus.DELIVERED,
    )
    sent = or_(Invitation.sent_at.is_not(None), delivered, opened)
    on_paper = exists().where(
        Confirmation.invitation_id == Invitation.id,
        Confirmation.withdrawn_at.is_(None),
        Confirmation.channel.in_([ConfirmationChannel.PAPER, ConfirmationChannel.PHONE]),
    )

    def count_if(condition):
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    row = db.session.execute(
        select(
            func.count(Invitation.id),
            count_if(sent),
            count_if(delivered),
            count_if(opened),
            count_if(confirmed),
            count_if(and_(confirmed, on_paper)),
        ).where(
            Invitation.campaign_id == campaign.id,
            Invitation.status != InvitationStatus.REVOKED,
        )
    ).one()
    return Funnel(*(int(n) for n in row))


def daily_confirmations(campaign: Campaign) -> list[tuple[str, int]]:
    """Confirmations per day since launch (UTC days), for the trend chart."""
    from parentlink.campaigns.models import Confirmation

    day = func.date(Confirmation.confirmed_at)
    rows = db.session.execute(
        select(day, func.count(Confirmation.id))
        .join(Invitation, Invitation.id == Confirmation.invitation_id)
        .where(Invitation.campaign_id == campaign.id, Confirmation.withdrawn_at.is_(None))
        .group_by(day)
        .order_by(day)
    ).all()
    return [(str(d), n) for d, n in rows]


@dataclass
class CarerLine:
    contact_id: int
    name: str
    relationship: str
    mobile: str | None
    email: str | None
    details_flagged: bool
    invitation_id: int | None
    invitation_status: str | None
    reminders_sent: int
    last_message_kind: str | None
    last_message_status: str | None
    last_message_at: object | None


@dataclass
class NonResponder:
    pupil_id: int
    name: str
    year_group: str
    class_name: str
    carers: list[CarerLine] = field(default_factory=list)


@dataclass
class Page:
    items: list
    page: int
    total: int
    per_page: int = PAGE_SIZE

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def class_names(school_id: int) -> list[str]:
    return list(
        db.session.scalars(
            select(Pupil.class_name)
            .where(Pupil.school_id == school_id, Pupil.left_on.is_(None))
            .group_by(Pupil.class_name)
            .order_by(Pupil.class_name)
        )
    )


def non_responders(
    campaign: Campaign, *, class_name: str | None = None, page: int = 1, per_page: int = PAGE_SIZE
) -> Page:
    """Pupils in the audience not yet covered, a page at a time, with their carers."""
    per_pupil = _per_pupil(campaign).subquery()
    conditions = [_audience(campaign), ~covered_condition(campaign, per_pupil)]
    if class_name:
        conditions.append(Pupil.class_name == class_name)
    base = select(Pupil).outerjoin(per_pupil, per_pupil.c.pupil_id == Pupil.id).where(*conditions)
    total = db.session.scalar(select(func.count()).select_from(base.subquery()))
    pupils = db.session.scalars(
        base.order_by(Pupil.class_name, Pupil.last_name, Pupil.first_name, Pupil.id)
        .limit(per_page)
        .offset((max(page, 1) - 1) * per_page)
    ).all()
    items = [
        NonResponder(p.id, f"{p.first_name} {p.last_name}", p.year_group, p.class_name)
        for p in pupils
    ]
    _attach_carers(campaign, items)
    return Page(items, page, total, per_page)


def _attach_carers(campaign: Campaign, items: list[NonResponder]) -> None:
    """The carers of one page of pupils, with their invitation and last message (2 queries)."""
    from parentlink.directory.models import Contact, PupilContact

    if not items:
        return
    by_id = {item.pupil_id: item for item in items}
    last_message = (
        select(
            Message.invitation_id,
            func.max(Message.id).label("message_id"),
        )
        .join(Invitation, Invitation.id == Message.invitation_id)
        .where(Invitation.campaign_id == campaign.id)
        .group_by(Message.invitation_id)
        .subquery()
    )
    rows = db.session.execute(
        select(PupilContact, Contact, Invitation, Message)
        .join(Contact, Contact.id == PupilContact.contact_id)
        .outerjoin(
            Invitation,
            and_(Invitation.contact_id == Contact.id, Invitation.campaign_id == campaign.id),
        )
        .outerjoin(last_message, last_message.c.invitation_id == Invitation.id)
        .outerjoin(Message, Message.id == last_message.c.message_id)
        .where(PupilContact.pupil_id.in_(by_id))
        .order_by(PupilContact.pupil_id, PupilContact.priority, Contact.id)
    ).all()
    for link, contact, invitation, message in rows:
        by_id[link.pupil_id].carers.append(
            CarerLine(
                contact_id=contact.id,
                name=f"{contact.first_name} {contact.last_name}",
                relationship=link.relationship_label,
                mobile=contact.mobile,
                email=contact.email,
                details_flagged=contact.details_flagged_at is not None,
                invitation_id=invitation.id if invitation else None,
                invitation_status=invitation.status.value if invitation else None,
                reminders_sent=invitation.reminders_sent if invitation else 0,
                last_message_kind=message.kind.value if message else None,
                last_message_status=message.status.value if message else None,
                last_message_at=(message.sent_at or message.created_at) if message else None,
            )
        )
