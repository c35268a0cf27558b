"""Exports: CSVs of a campaign, and a printable evidence page for one family."""

from __future__ import annotations

from flask import Response, abort, render_template, stream_with_context
from flask_login import current_user
from sqlalchemy import select

from parentlink.campaigns.models import Campaign, Confirmation
from parentlink.concerns.access import concern_message_kinds
from parentlink.core.clock import now
from parentlink.db import db
from parentlink.messaging.models import Message
from parentlink.office import exports, family_queries
from parentlink.office.permissions import Permission, can


def _campaign(campaign_id: int) -> Campaign:
    campaign = db.session.scalar(
        select(Campaign).where(
            Campaign.id == campaign_id, Campaign.school_id == current_user.school_id
        )
    )
    if campaign is None:
        abort(404)
    return campaign


def _download(chunks, name: str) -> Response:
    return Response(
        stream_with_context(chunks),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )


def pupils_csv(campaign_id: int):
    campaign = _campaign(campaign_id)
    return _download(exports.pupils_csv(campaign), f"campaign-{campaign.id}-pupils.csv")


def contacts_csv(campaign_id: int):
    campaign = _campaign(campaign_id)
    return _download(exports.contacts_csv(campaign), f"campaign-{campaign.id}-contacts.csv")


def family_evidence(pupil_id: int):
    fam = family_queries.family(current_user.school_id, pupil_id)
    if fam is None:
        abort(404)
    ids = [link.contact_id for link in fam.links]
    query = select(Message).where(Message.contact_id.in_(ids))
    if not can(Permission.READ_CONCERNS):  # a concern's acknowledgement is the DSL's to see
        query = query.where(Message.kind.not_in(concern_message_kinds()))
    messages = db.session.scalars(query.order_by(Message.id).limit(500)).all()
    confirmations = db.session.scalars(
        select(Confirmation).where(Confirmation.contact_id.in_(ids)).order_by(Confirmation.id)
    ).all()
    return render_template(
        "office/evidence.html",
        fam=fam,
        messages=messages,
        confirmations=confirmations,
        printed_at=now(),
    )
