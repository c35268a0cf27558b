"""Campaigns: start one (with a preview of the message), follow its dispatch, close it."""

from __future__ import annotations

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import func, select

from parentlink.agreements.services import current_version
from parentlink.campaigns.models import Campaign, CampaignStatus, Invitation
from parentlink.campaigns.queries import campaigns_for
from parentlink.campaigns.services import CampaignError, launch_campaign
from parentlink.core.audit import record
from parentlink.core.clock import now
from parentlink.core.filters import and_list
from parentlink.db import db
from parentlink.directory.models import Channel, Contact, Pupil, PupilContact
from parentlink.messaging.models import Message, MessageKind, MessageStatus
from parentlink.messaging.outbox import render
from parentlink.office.forms import ActionForm, CampaignForm
from parentlink.schools.models import School

PENDING = (MessageStatus.QUEUED, MessageStatus.SENDING)


def _sample_message(school: School) -> tuple[str, int] | None:
    """The invitation SMS as the first family would get it (the link shown as a sample)."""
    row = db.session.execute(
        select(Contact, Pupil)
        .join(PupilContact, PupilContact.contact_id == Contact.id)
        .join(Pupil, Pupil.id == PupilContact.pupil_id)
        .where(Contact.school_id == school.id, Pupil.left_on.is_(None))
        .order_by(Contact.id)
        .limit(1)
    ).first()
    if row is None:
        return None
    contact, pupil = row
    link = f"{school_link_base()}/a/xxxxxxxxxxxxxxxxxxxxxx"
    text = render(
        MessageKind.INVITE, Channel.SMS, school=school, contact=contact,
        children=and_list([pupil.first_name]), link=link,
    ).body  # fmt: skip
    # TODO(issue 4): SMS segments and estimated cost from parentlink.messaging once it has them.
    return text, len(text)


def school_link_base() -> str:
    from flask import current_app

    return current_app.config["PUBLIC_URL"]


def campaigns():
    school = db.session.get(School, current_user.school_id)
    form = CampaignForm()
    version = current_version(school.id)
    error = None
    if form.validate_on_submit():
        closes_at = datetime.combine(form.closes_on.data, time(23, 59), ZoneInfo(school.timezone))
        try:
            if version is None:
                raise CampaignError("publish the agreement first")
            summary = launch_campaign(
                school, version, name=form.name.data.strip(),
                closes_at=closes_at.astimezone(UTC), actor=f"staff:{current_user.id}",
            )  # fmt: skip
        except CampaignError as exc:
            error = str(exc)
        else:
            flash(
                f"Launched: {summary.invitations} carers will get a message"
                + (
                    f"; {len(summary.unreachable)} cannot be reached."
                    if summary.unreachable
                    else "."
                )
            )
            return redirect(url_for("office.campaign", campaign_id=summary.campaign.id), code=303)
    return render_template(
        "office/campaigns.html",
        campaigns=campaigns_for(school.id, limit=50),
        form=form,
        version=version,
        error=error,
        sample=_sample_message(school),
    ), (422 if (error or form.errors) else 200)


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
