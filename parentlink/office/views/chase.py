"""The office's actions on a carer: remind now, record a paper or phone reply, flag details."""

from __future__ import annotations

import segno
from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from parentlink.agreements.models import Audience
from parentlink.campaigns.models import Campaign, ConfirmationChannel, Invitation
from parentlink.campaigns.paper import (
    PaperConfirmationError,
    paper_form_link,
    record_paper_confirmation,
)
from parentlink.core.i18n import english_plural
from parentlink.db import db
from parentlink.directory.models import Contact
from parentlink.messaging.outbox import personal_link
from parentlink.office import services
from parentlink.office.forms import ActionForm, PaperConfirmationForm, WrongDetailsForm
from parentlink.office.household_queries import waiting_invitations
from parentlink.office.services import StaffError, flag_contact_details, remind_now


def _back():
    target = request.form.get("back", "")
    if target.startswith("/office/") and "//" not in target:
        return redirect(target, code=303)
    return redirect(url_for("office.non_responders"), code=303)


def _mine(model, object_id: int):
    row = db.session.scalar(
        select(model).where(model.id == object_id, model.school_id == current_user.school_id)
    )
    if row is None:
        abort(404)
    return row


def remind(invitation_id: int):
    invitation = _mine(Invitation, invitation_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        remind_now(invitation, actor=f"staff:{current_user.id}")
    except StaffError as exc:
        flash(f"No reminder sent: {exc}.")
    else:
        contact = invitation.contact
        flash(f"A reminder to {contact.first_name} {contact.last_name} is on its way.")
    return _back()


def remind_selected(campaign_id: int):
    campaign = _mine(Campaign, campaign_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    ids = [int(v) for v in request.form.getlist("invitation") if v.isdigit() and len(v) < 10]
    invitations = waiting_invitations(campaign, ids[:1000])
    try:
        reminded, skipped = services.remind_selected(
            campaign, invitations, actor=f"staff:{current_user.id}"
        )
    except StaffError as exc:
        flash(f"No reminder sent: {exc}.", "error")
    else:
        note = f" {skipped} had no mobile or email: phone them." if skipped else ""
        plural = "" if reminded == 1 else "s"
        flash(f"Reminders to {reminded} household{plural} are on their way.{note}", "success")
    return _back()


def paper(campaign_id: int, contact_id: int):
    campaign = _mine(Campaign, campaign_id)
    contact = _mine(Contact, contact_id)
    form = PaperConfirmationForm()
    clauses = campaign.version.clauses_for(Audience.PARENTS_CARERS)
    if request.method == "GET":
        form.taken_by.data = current_user.name
        form.typed_name.data = f"{contact.first_name} {contact.last_name}"
    error = None
    if form.validate_on_submit():
        try:
            channel = ConfirmationChannel(form.channel.data)
            note = f"Taken by {form.taken_by.data.strip()}. {form.note.data or ''}".strip()
            confirmation = record_paper_confirmation(
                campaign,
                contact,
                channel=channel,
                typed_name=form.typed_name.data,
                note=note,
                staff_id=current_user.id,
                questions={
                    clause.key: request.form.get(f"question-{clause.key}", "") for clause in clauses
                },
            )
        except ValueError as exc:  # PaperConfirmationError, or an unknown channel
            error = str(exc) if isinstance(exc, PaperConfirmationError) else "choose paper or phone"
            db.session.rollback()
        else:
            asked = sum(1 for r in confirmation.responses if r.question)
            flash(
                f"Recorded: {contact.first_name} {contact.last_name} confirmed "
                f"({channel.value}), reference {confirmation.reference}."
                + (
                    english_plural(
                        " %(num)d question added to Questions.",
                        " %(num)d questions added to Questions.",
                        asked,
                    )
                    if asked
                    else ""
                )
            )
            return redirect(_after_paper(campaign), code=303)
    status = 422 if (error or form.errors) else 200
    invitation_id = db.session.scalar(
        select(Invitation.id).where(
            Invitation.campaign_id == campaign.id, Invitation.contact_id == contact.id
        )
    )
    return render_template(
        "office/paper.html",
        reference=f"F-{invitation_id}" if invitation_id else None,
        form=form,
        campaign=campaign,
        contact=contact,
        clauses=clauses,
        error=error,
    ), status


def paper_form(campaign_id: int, contact_id: int):
    """A printable form, filled in for this family, with their link as a QR code."""
    campaign = _mine(Campaign, campaign_id)
    contact = _mine(Contact, contact_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        invitation, token = paper_form_link(campaign, contact, staff_id=current_user.id)
    except PaperConfirmationError as exc:
        db.session.rollback()
        flash(f"No form printed: {exc}.", "error")
        return _back()
    link = personal_link(token)
    return render_template(
        "office/paper_form.html",
        campaign=campaign,
        contact=contact,
        invitation=invitation,
        clauses=campaign.version.clauses_for(Audience.PARENTS_CARERS),
        link=link,
        qr=segno.make(link, error="m").svg_data_uri(scale=3, dark="#000", light="#fff"),
        reference=f"F-{invitation.id}",
    )


def _after_paper(campaign):
    """Back where the office came from (the family page), else the households list."""
    target = request.args.get("back", "")
    if target.startswith("/office/") and "//" not in target:
        return target
    return url_for("office.non_responders", campaign=campaign.id)


def flag_details(contact_id: int):
    contact = _mine(Contact, contact_id)
    form = WrongDetailsForm()
    if not form.validate_on_submit():
        flash("Say what is wrong with the details, then press the button again.")
        return _back()
    try:
        flag_contact_details(contact, reason=form.reason.data, actor=f"staff:{current_user.id}")
    except StaffError as exc:
        flash(str(exc))
    else:
        flash(f"{contact.first_name} {contact.last_name}'s details are on the data-quality list.")
    return _back()
