"""Reads for pages and jobs: progress counts come from SQL aggregates, never from Python loops."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import and_, case, exists, func, select
from sqlalchemy.orm import aliased

from parentlink.agreements.models import Clause
from parentlink.campaigns.models import (
    Answer,
    Campaign,
    ClauseResponse,
    CompletionRule,
    Confirmation,
    FollowUp,
    Invitation,
    InvitationStatus,
    confirmation_pupil,
    invitation_pupil,
)
from parentlink.db import db
from parentlink.directory.models import Contact, Pupil
from parentlink.messaging.models import Message, MessageStatus


@dataclass(frozen=True)
class Progress:
    invited: int
    sent: int
    delivered: int
    opened: int
    confirmed: int


def campaign_progress(campaign_id: int) -> Progress:
    invited, sent, opened, confirmed = db.session.execute(
        select(
            func.count(Invitation.id),
            func.count(Invitation.sent_at),
            func.count(Invitation.opened_at),
            func.coalesce(
                func.sum(case((Invitation.status == InvitationStatus.CONFIRMED, 1), else_=0)), 0
            ),
        ).where(Invitation.campaign_id == campaign_id)
    ).one()
    delivered = db.session.scalar(
        select(func.count(func.distinct(Message.invitation_id)))
        .join(Invitation, Invitation.id == Message.invitation_id)
        .where(Invitation.campaign_id == campaign_id, Message.status == MessageStatus.DELIVERED)
    )
    return Progress(invited, sent, delivered or 0, opened, confirmed)


def campaigns_for(school_id: int, limit: int = 20) -> list[Campaign]:
    return list(
        db.session.scalars(
            select(Campaign)
            .where(Campaign.school_id == school_id)
            .order_by(Campaign.created_at.desc(), Campaign.id.desc())
            .limit(limit)
        )
    )


@dataclass(frozen=True)
class Coverage:
    """Pupils in a campaign, and how many are covered under its completion rule."""

    pupils: int
    covered: int


def pupil_coverage(campaign_id: int) -> Coverage:
    """Progress in pupils, not messages: a pupil is covered when any one invited carer has a
    standing confirmation (any-carer) or when every invited carer has (every-carer). Two
    carers confirming the same child count the child once. One aggregate query."""
    campaign = db.session.get(Campaign, campaign_id)
    standing = (
        select(Confirmation.invitation_id)
        .where(Confirmation.withdrawn_at.is_(None))
        .scalar_subquery()
    )
    per_pupil = (
        select(
            invitation_pupil.c.pupil_id,
            func.count(Invitation.id).label("carers"),
            func.sum(case((Invitation.id.in_(standing), 1), else_=0)).label("confirmed"),
        )
        .join(Invitation, Invitation.id == invitation_pupil.c.invitation_id)
        .where(Invitation.campaign_id == campaign_id, Invitation.status != InvitationStatus.REVOKED)
        .group_by(invitation_pupil.c.pupil_id)
        .subquery()
    )
    if campaign.completion_rule is CompletionRule.EVERY_CARER:
        done = per_pupil.c.confirmed == per_pupil.c.carers
    else:
        done = per_pupil.c.confirmed > 0
    pupils, covered = db.session.execute(
        select(func.count(), func.coalesce(func.sum(case((done, 1), else_=0)), 0)).select_from(
            per_pupil
        )
    ).one()
    return Coverage(pupils, covered)


@dataclass(frozen=True)
class Question:
    """One parent's question about one point, for the office's list and the family page."""

    response_id: int
    asked_at: datetime
    question: str
    point: str  # the clause's plain-English summary
    wording: str  # the clause's full wording
    contact_id: int
    carer: str
    campaign: str
    follow_up: FollowUp
    reply: str | None
    answered_at: datetime | None
    reference: str
    children: list[tuple[int, str]] = field(default_factory=list)  # (pupil id, full name)
    contact: Contact | None = field(default=None, compare=False, repr=False)  # to reply to


# Made once: a new alias costs its column collections again on every request.
_EARLIER, _ITS_CLAUSE = aliased(ClauseResponse, name="earlier"), aliased(Clause, name="its_clause")


def first_of_its_point():
    """A question is asked about a point; a point that groups several clauses records it on
    each of them (per clause, the evidence). The office follows it up once: on the point's
    first clause. (Needs Clause joined to ClauseResponse.)"""
    earlier, its_clause = _EARLIER, _ITS_CLAUSE
    return Clause.point.is_(None) | ~exists().where(
        earlier.confirmation_id == ClauseResponse.confirmation_id,
        earlier.answer == Answer.QUESTION,
        earlier.id < ClauseResponse.id,
        its_clause.id == earlier.clause_id,
        and_(its_clause.version_id == Clause.version_id, its_clause.point == Clause.point),
    )


def _questions(school_id: int):
    return (
        select(ClauseResponse, Confirmation, Contact, Clause, Campaign.name)
        .join(Confirmation, Confirmation.id == ClauseResponse.confirmation_id)
        .join(Contact, Contact.id == Confirmation.contact_id)
        .join(Clause, Clause.id == ClauseResponse.clause_id)
        .join(Invitation, Invitation.id == Confirmation.invitation_id)
        .join(Campaign, Campaign.id == Invitation.campaign_id)
        .where(
            Confirmation.school_id == school_id,
            Confirmation.withdrawn_at.is_(None),
            ClauseResponse.answer == Answer.QUESTION,
            first_of_its_point(),
        )
    )


def questions_to_follow_up(
    school_id: int,
    *,
    state: FollowUp = FollowUp.OPEN,
    campaign_id: int | None = None,
    contact_ids: list[int] | None = None,
    page: int = 1,
    per_page: int = 50,
    total: int | None = None,
) -> tuple[list[Question], int]:
    """Parents' questions in one state (open ones by default), newest first, a page at a
    time, with the total. Only standing confirmations: a withdrawn one asks nothing more.
    `total`: the count when already known (`question_counts` for the state, with neither
    filter), to spare counting again."""
    query = _questions(school_id).where(ClauseResponse.follow_up == state)
    if campaign_id is not None:
        query = query.where(Invitation.campaign_id == campaign_id)
    if contact_ids is not None:
        query = query.where(Confirmation.contact_id.in_(contact_ids))
    if total is None:
        total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    rows = db.session.execute(
        query.order_by(Confirmation.confirmed_at.desc(), ClauseResponse.id.desc())
        .limit(per_page)
        .offset((max(page, 1) - 1) * per_page)
    ).all()
    children: dict[int, list[tuple[int, str]]] = {}
    confirmation_ids = {confirmation.id for _, confirmation, *_ in rows}
    if confirmation_ids:
        for confirmation_id, pupil in db.session.execute(
            select(confirmation_pupil.c.confirmation_id, Pupil)
            .join(Pupil, Pupil.id == confirmation_pupil.c.pupil_id)
            .where(confirmation_pupil.c.confirmation_id.in_(confirmation_ids))
            .order_by(Pupil.first_name, Pupil.id)
        ):
            children.setdefault(confirmation_id, []).append(
                (pupil.id, f"{pupil.first_name} {pupil.last_name}")
            )
    items = [
        Question(
            response_id=response.id,
            asked_at=confirmation.confirmed_at,
            question=response.question or "",
            point=clause.summary,
            wording=clause.body,
            contact_id=contact.id,
            carer=f"{contact.first_name} {contact.last_name}",
            campaign=campaign_name,
            follow_up=response.follow_up,
            reply=response.reply,
            answered_at=response.answered_at,
            reference=confirmation.reference,
            children=children.get(confirmation.id, []),
            contact=contact,
        )
        for response, confirmation, contact, clause, campaign_name in rows
    ]
    return items, total


def question_counts(school_id: int) -> dict[FollowUp, int]:
    """How many questions stand in each state (one GROUP BY)."""
    rows = db.session.execute(
        select(ClauseResponse.follow_up, func.count())
        .join(Confirmation, Confirmation.id == ClauseResponse.confirmation_id)
        .join(Clause, Clause.id == ClauseResponse.clause_id)
        .where(
            Confirmation.school_id == school_id,
            Confirmation.withdrawn_at.is_(None),
            ClauseResponse.answer == Answer.QUESTION,
            first_of_its_point(),
        )
        .group_by(ClauseResponse.follow_up)
    ).all()
    counts = dict.fromkeys(FollowUp, 0)
    counts.update({state: n for state, n in rows})
    return counts


@dataclass(frozen=True)
class Withdrawal:
    confirmation_id: int
    reference: str
    contact_id: int
    withdrawn_at: object
    reason: str


def withdrawals(campaign_id: int, *, page: int = 1, per_page: int = 50) -> list[Withdrawal]:
    """Confirmations the parents took back, with their reasons, newest first: for the office."""
    rows = db.session.execute(
        select(
            Confirmation.id,
            Confirmation.reference,
            Confirmation.contact_id,
            Confirmation.withdrawn_at,
            Confirmation.withdrawal_reason,
        )
        .join(Invitation, Invitation.id == Confirmation.invitation_id)
        .where(Invitation.campaign_id == campaign_id, Confirmation.withdrawn_at.is_not(None))
        .order_by(Confirmation.withdrawn_at.desc(), Confirmation.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    return [Withdrawal(*row) for row in rows]
