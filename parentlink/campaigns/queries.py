"""Reads for pages and jobs: progress counts come from SQL aggregates, never from Python loops."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import case, func, select

from parentlink.campaigns.models import (
    Answer,
    Campaign,
    ClauseResponse,
    CompletionRule,
    Confirmation,
    Invitation,
    InvitationStatus,
    invitation_pupil,
)
from parentlink.db import db
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
class FollowUp:
    confirmation_id: int
    reference: str
    contact_id: int
    confirmed_at: object
    questions: int


def questions_to_follow_up(
    campaign_id: int, *, page: int = 1, per_page: int = 50
) -> list[FollowUp]:
    """Standing confirmations with at least one question: the office's follow-up list."""
    rows = db.session.execute(
        select(
            Confirmation.id,
            Confirmation.reference,
            Confirmation.contact_id,
            Confirmation.confirmed_at,
            func.count(ClauseResponse.id),
        )
        .join(Invitation, Invitation.id == Confirmation.invitation_id)
        .join(ClauseResponse, ClauseResponse.confirmation_id == Confirmation.id)
        .where(
            Invitation.campaign_id == campaign_id,
            Confirmation.withdrawn_at.is_(None),
            ClauseResponse.answer == Answer.QUESTION,
        )
        .group_by(Confirmation.id)
        .order_by(Confirmation.confirmed_at, Confirmation.id)
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    return [FollowUp(*row) for row in rows]


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
