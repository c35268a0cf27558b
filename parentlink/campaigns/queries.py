"""Reads for pages and jobs: progress counts come from SQL aggregates, never from Python loops."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import case, func, select

from parentlink.campaigns.models import Campaign, Invitation, InvitationStatus
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
