"""Term dates from a council's or trust's calendar: upload, see the terms with their school
days, then save. The plan travels between the two in a signed form field, so what is saved
is exactly what was shown."""

from __future__ import annotations

from datetime import date

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from itsdangerous import BadSignature, URLSafeSerializer

from parentlink.core.i18n import english_plural
from parentlink.db import db
from parentlink.office.forms import ActionForm
from parentlink.office.settings_forms import TermsUploadForm
from parentlink.schools import calendars
from parentlink.schools.terms import TermDatesError

LARGEST = 1_000_000


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt="term-dates-plan")


def _dump(plan: calendars.Plan) -> str:
    return _serializer().dumps(
        {
            "shape": plan.shape,
            "terms": [[t.name, t.starts_on.isoformat(), t.ends_on.isoformat()] for t in plan.terms],
            "closures": [
                [c.name, c.starts_on.isoformat(), c.ends_on.isoformat()] for c in plan.closures
            ],
        }
    )


def _load(signed: str) -> calendars.Plan | None:
    try:
        raw = _serializer().loads(signed)
    except BadSignature:
        return None
    plan = calendars.Plan(raw["shape"])
    plan.terms = [
        calendars.PlannedTerm(n, date.fromisoformat(s), date.fromisoformat(e))
        for n, s, e in raw["terms"]
    ]
    plan.closures = [
        calendars.Event(n, date.fromisoformat(s), date.fromisoformat(e))
        for n, s, e in raw["closures"]
    ]
    return plan


def preview():
    form = TermsUploadForm(prefix="terms-upload")
    error, plan = None, None
    if not form.validate_on_submit():
        error = "; ".join(e for errors in form.errors.values() for e in errors)
    else:
        upload = form.file.data
        data = upload.read(LARGEST + 1)
        try:
            if len(data) > LARGEST:
                raise TermDatesError("the file is larger than 1 MB: is it the right file?")
            events, kinds = calendars.read_events(data, upload.filename or "")
            plan = calendars.plan(events, kinds)
        except TermDatesError as exc:
            error = str(exc)
    return render_template(
        "office/term_dates_preview.html",
        error=error,
        plan=plan,
        signed=_dump(plan) if plan else None,
        form=ActionForm(),
    ), (422 if error else 200)


def save():
    if not ActionForm().validate_on_submit():
        abort(400)
    plan = _load(request.form.get("plan", ""))
    if plan is None:
        flash("Nothing was saved: the checked term dates did not come back intact. Upload the "
              "file again.", "error")  # fmt: skip
        return redirect(url_for("office.settings") + "#terms", code=303)
    try:
        with db.session.begin_nested():  # all or nothing
            calendars.save(current_user.school_id, plan, actor=f"staff:{current_user.id}")
    except TermDatesError as exc:
        flash(f"Nothing was saved: {exc}.", "error")
    else:
        flash(
            "Saved "
            + english_plural("%(num)d term", "%(num)d terms", len(plan.terms))
            + " and "
            + english_plural("%(num)d closure", "%(num)d closures", len(plan.closures))
            + "."
        )
    return redirect(url_for("office.settings") + "#terms", code=303)
