"""A campaign: follow its dispatch, close it (starting one: campaign_launch.py)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import func, select

from parentlink.campaigns.models import Campaign, CampaignStatus, Invitation
from parentlink.core.audit import record
from parentlink.core.clock import now
from parentlink.db import db
from parentlink.messaging.models import Message, MessageStatus
from parentlink.office.forms import ActionForm

PENDING = (MessageStatus.QUEUED, MessageStatus.SENDING)


def campaign(campaign_id: int):
    row = db.session.scalar(
        select(Campaign).where(
            Campaign.id == campaign_id, Campaign.school_id == current_user.school_id
        )
    )
    if row is None:
        abort(404)
    counts = dict(
        db.session.execute(
            select(Message.status, func.count(Message.id))
            .join(Invitation, Invitation.id == Message.invitation_id)
            .where(Invitation.campaign_id == row.id)
            .group_by(Message.status)
        ).all()
    )
    total = sum(counts.values())
    pending = sum(counts.get(s, 0) for s in PENDING)
    return render_template(
        "office/campaign.html",
        campaign=row,
        counts={s.value: counts.get(s, 0) for s in MessageStatus},
        total=total,
        done=total - pending,
        pending=pending,
        form=ActionForm(),
    )


def close(campaign_id: int):
    row = db.session.scalar(
        select(Campaign).where(
            Campaign.id == campaign_id, Campaign.school_id == current_user.school_id
        )
    )
    if row is None:
        abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    if row.status is not CampaignStatus.OPEN:
        flash("This campaign is not open.")
    else:
        row.close(now())
        record("campaign.close", actor=f"staff:{current_user.id}", school_id=row.school_id,
               subject=f"campaign:{row.id}")  # fmt: skip
        flash(f"{row.name} is closed: no more reminders will be sent.")
    return redirect(url_for("office.campaign", campaign_id=row.id), code=303)
