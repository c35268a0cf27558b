"""The safeguarding lead's side: /office/concerns. Every route is dsl_required."""

from __future__ import annotations

import csv
import io

from flask import Blueprint, Response, abort, redirect, render_template, request, send_file, url_for
from flask_login import current_user
from wtforms import SelectChoice

from parentlink.concerns import services
from parentlink.concerns.access import dsl_required
from parentlink.concerns.export import csv_rows
from parentlink.concerns.forms import (
    CATEGORY_LABELS,
    URGENCY_LABELS,
    ActionForm,
    AssignForm,
    CloseForm,
    EntryForm,
    TriageForm,
)
from parentlink.concerns.models import (
    ConcernAttachment,
    ConcernCategory,
    ConcernStatus,
    ConcernUrgency,
)
from parentlink.concerns.queries import concern_in_school, inbox, status_counts, views_of
from parentlink.concerns.uploads import path_of
from parentlink.core.clock import now
from parentlink.db import db
from parentlink.office.session import staff_context

blueprint = Blueprint("concerns_office", __name__, url_prefix="/office/concerns")
blueprint.context_processor(staff_context)

ACTIONS = {
    "acknowledge": services.acknowledge,
    "start": services.start_work,
}


@blueprint.after_request
def _never_cached(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


def _concern_or_404(concern_id: int):
    concern = concern_in_school(current_user.school_id, concern_id)
    if concern is None:
        abort(404)
    return concern


def _pupil_choices(concern) -> list[tuple[str, str]]:
    """The reporting family's children (and whoever the concern is already about)."""
    pupils = {
        link.pupil.id: link.pupil for link in (concern.contact.links if concern.contact else [])
    }
    if concern.pupil is not None:
        pupils.setdefault(concern.pupil.id, concern.pupil)
    return [SelectChoice("", "No pupil")] + [
        SelectChoice(str(p.id), f"{p.first_name} {p.last_name} ({p.class_name})")
        for p in pupils.values()
    ]


def _assignees(concern) -> list[SelectChoice]:
    return [SelectChoice(u.id, u.name) for u in services.dsl_users(concern.school_id)]


def _forms(concern, *, entry=None, close=None, triage=None):
    triage = triage or TriageForm(
        formdata=None,
        category=concern.category.value,
        urgency=(concern.urgency or ConcernUrgency.ROUTINE).value,
        pupil=str(concern.pupil_id or ""),
    )
    triage.pupil.choices = _pupil_choices(concern)
    assign = AssignForm(formdata=None, assignee=concern.assigned_to_id or current_user.id)
    assign.assignee.choices = _assignees(concern)
    entry = entry or EntryForm(formdata=None)
    entry.corrects.choices = [SelectChoice("", "Nothing: a new entry")] + [
        SelectChoice(str(e.id), f"Entry {e.id} ({e.kind.value})") for e in concern.entries
    ]
    return {
        "triage": triage,
        "assign": assign,
        "entry": entry,
        "close": close or CloseForm(formdata=None),
        "action": ActionForm(formdata=None),
    }


def _record_page(concern, status: int = 200, error: str | None = None, **forms):
    return render_template(
        "concerns/office/record.html",
        concern=concern,
        forms=_forms(concern, **forms),
        views=views_of(concern.id),
        categories=CATEGORY_LABELS,
        urgencies=URGENCY_LABELS,
        error=error,
    ), status


def _back(concern):
    return redirect(url_for("concerns_office.show", concern_id=concern.id), code=303)


@blueprint.get("/")
@dsl_required
def index():
    try:
        status = ConcernStatus(request.args.get("status", "new"))
    except ValueError:
        abort(404)
    page = inbox(current_user.school_id, status, request.args.get("page", 1, type=int))
    return render_template(
        "concerns/office/inbox.html",
        status=status,
        page=page,
        counts=status_counts(current_user.school_id),
        categories=CATEGORY_LABELS,
        urgencies=URGENCY_LABELS,
    )


@blueprint.get("/<int:concern_id>")
@dsl_required
def show(concern_id: int):
    concern = _concern_or_404(concern_id)
    services.record_view(concern, current_user, "record")
    return _record_page(concern)


@blueprint.post("/<int:concern_id>/<any(acknowledge, start):action>")
@dsl_required
def act(concern_id: int, action: str):
    concern = _concern_or_404(concern_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        ACTIONS[action](concern, current_user)
    except services.ConcernError as error:
        return _record_page(concern, 409, str(error))
    return _back(concern)


@blueprint.post("/<int:concern_id>/close")
@dsl_required
def close(concern_id: int):
    concern = _concern_or_404(concern_id)
    form = CloseForm()
    if not form.validate_on_submit():
        return _record_page(concern, 422, close=form)
    try:
        services.close(concern, current_user, form.outcome.data)
    except services.ConcernError as error:
        return _record_page(concern, 409, str(error))
    return _back(concern)


@blueprint.post("/<int:concern_id>/entries")
@dsl_required
def add_entry(concern_id: int):
    concern = _concern_or_404(concern_id)
    form = EntryForm()
    form.corrects.choices = _forms(concern)["entry"].corrects.choices
    if not form.validate_on_submit():
        return _record_page(concern, 422, entry=form)
    corrects = int(form.corrects.data) if form.corrects.data else None
    services.add_entry(concern, current_user, form.text.data, corrects_id=corrects)
    return _back(concern)


@blueprint.post("/<int:concern_id>/triage")
@dsl_required
def triage(concern_id: int):
    concern = _concern_or_404(concern_id)
    form = TriageForm()
    form.pupil.choices = _pupil_choices(concern)
    if not form.validate_on_submit():
        return _record_page(concern, 422, triage=form)
    services.triage(
        concern,
        current_user,
        category=ConcernCategory(form.category.data),
        urgency=ConcernUrgency(form.urgency.data),
        pupil_id=int(form.pupil.data) if form.pupil.data else None,
    )
    return _back(concern)


@blueprint.post("/<int:concern_id>/assign")
@dsl_required
def assign(concern_id: int):
    concern = _concern_or_404(concern_id)
    form = AssignForm()
    form.assignee.choices = _assignees(concern)
    if not form.validate_on_submit():
        return _record_page(concern, 422, "Please choose a safeguarding lead.")
    services.assign(concern, current_user, form.assignee.data)
    return _back(concern)


@blueprint.get("/<int:concern_id>/attachments/<int:attachment_id>")
@dsl_required
def attachment(concern_id: int, attachment_id: int):
    concern = _concern_or_404(concern_id)
    item = db.session.get(ConcernAttachment, attachment_id)
    if item is None or item.concern_id != concern.id:
        abort(404)
    try:
        path = path_of(item.stored_name)
        response = send_file(path, mimetype=item.content_type, max_age=0)
    except FileNotFoundError:  # the upload folder was not restored with the database
        abort(404)
    services.record_view(concern, current_user, f"attachment:{item.id}")
    response.headers["Content-Disposition"] = "inline"
    return response


@blueprint.get("/<int:concern_id>/print")
@dsl_required
def printable(concern_id: int):
    concern = _concern_or_404(concern_id)
    services.record_view(concern, current_user, "print")
    return render_template(
        "concerns/office/print.html",
        concern=concern,
        printed_at=now(),
        categories=CATEGORY_LABELS,
        urgencies=URGENCY_LABELS,
    )


@blueprint.get("/export.csv")
@dsl_required
def export():
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    exported = []
    for concern, row in csv_rows(current_user.school_id):
        writer.writerow(row)
        if concern is not None:
            exported.append(concern.id)
    services.record_export(current_user, exported)
    return Response(
        "\ufeff" + out.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="concerns.csv"'},
    )
