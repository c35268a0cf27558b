"""Families: search by name (with each family's status), and one family's page that acts:
its status at the top, the carers with what can be done for each, the timeline."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from parentlink.core.i18n import english_plural
from parentlink.directory.services import LinkError, set_court_order
from parentlink.office import family_queries
from parentlink.office.family_status import statuses
from parentlink.office.forms import ActionForm, CourtOrderForm, SearchForm
from parentlink.office.permissions import Permission, can
from parentlink.office.timeline import timeline


def families():
    form = SearchForm(request.args)
    q = (form.q.data or "").strip() if form.validate() else ""
    raw_page = request.args.get("page", "1")
    page_number = int(raw_page) if raw_page.isdigit() and len(raw_page) < 7 else 1
    page = family_queries.search_pupils(current_user.school_id, q, page=page_number)
    status = statuses(current_user.school_id, [p.id for p in page.items])
    return render_template("office/families.html", form=form, q=q, page=page, status=status)


def family(pupil_id: int):
    school_id = current_user.school_id
    fam = family_queries.family(school_id, pupil_id)
    if fam is None:
        abort(404)
    sent = family_queries.invitations(fam)  # read once: the timeline's and the carers' lines
    events = timeline(fam, sent, with_concerns=can(Permission.READ_CONCERNS))
    campaign = family_queries.open_campaign(school_id)
    invitations = (
        {i.contact_id: i for i in sent if i.campaign_id == campaign.id} if campaign else {}
    )
    return render_template(
        "office/family.html",
        fam=fam,
        events=events,
        status=statuses(school_id, [fam.pupil.id])[fam.pupil.id],
        campaign=campaign,
        invitations=invitations,
        form=ActionForm(),
        court_order_form=CourtOrderForm(),
        may_chase=can(Permission.CHASE),
    )


def court_order(pupil_id: int, link_id: int):
    fam = family_queries.family(current_user.school_id, pupil_id)
    if fam is None or link_id not in {link.id for link in fam.links}:
        abort(404)
    form = CourtOrderForm()
    if not form.validate_on_submit():
        flash("Nothing was changed: " + "; ".join(e for es in form.errors.values() for e in es))
        return redirect(url_for("office.family", pupil_id=pupil_id), code=303)
    try:
        stopped = set_court_order(
            current_user.school_id,
            link_id,
            restricted=form.action.data == "set",
            reason=form.reason.data,
            actor=f"staff:{current_user.id}",
        )
    except LinkError as exc:
        flash(f"Nothing was changed: {exc}.")
        return redirect(url_for("office.family", pupil_id=pupil_id), code=303)
    if form.action.data == "set":
        flash(
            "Court-order restriction recorded. "
            + english_plural(
                "%(num)d link stopped working",
                "%(num)d links stopped working",
                stopped.invitations_revoked,
            )
            + " and "
            + english_plural(
                "%(num)d queued message was cancelled",
                "%(num)d queued messages were cancelled",
                stopped.messages_cancelled,
            )
            + "; this carer will not be contacted about this child."
        )
    else:
        flash("Court-order restriction cleared.")
    return redirect(url_for("office.family", pupil_id=pupil_id), code=303)
