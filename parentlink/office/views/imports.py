"""MIS import through the office: upload, map columns (once), preview, commit."""

from __future__ import annotations

import json

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from parentlink.core.i18n import english_plural
from parentlink.db import db
from parentlink.directory import reimport
from parentlink.directory.files import FileProblem
from parentlink.directory.mis import FIELDS, REQUIRED, read_headers
from parentlink.directory.models import ImportUpload
from parentlink.office.forms import ActionForm, UploadForm

LABELS = {
    "pupil_id": "Pupil's MIS id (UPN or admission number)",
    "pupil_first_name": "Pupil's first name",
    "pupil_last_name": "Pupil's last name",
    "year_group": "Year group",
    "class": "Class or registration group",
    "contact_id": "Contact's MIS id (if the file has one)",
    "contact_first_name": "Contact's first name",
    "contact_last_name": "Contact's last name",
    "relationship": "Relationship",
    "parental_responsibility": "Parental responsibility (yes/no)",
    "mobile": "Mobile number",
    "email": "Email address",
    "preferred_channel": "Preferred channel (sms/email)",
    "court_order": "Court order (yes/no)",
    "priority": "Contact priority (1, 2, 3…)",
    "contact_name": "Contact's whole name in one column (if no forename/surname columns)",
}


def _upload(upload_id: int) -> ImportUpload:
    upload = db.session.scalar(
        select(ImportUpload).where(
            ImportUpload.id == upload_id, ImportUpload.school_id == current_user.school_id
        )
    )
    if upload is None or upload.committed_at is not None:
        abort(404)
    return upload


def _headers(upload: ImportUpload) -> list[str]:
    return reimport.headers_of(upload.content, upload.sheet, upload.filename)


def upload():
    form = UploadForm()
    problem = None
    if form.validate_on_submit():
        data = form.file.data.read()
        name = (form.file.data.filename or "families.csv")[:200]
        sheet = (form.sheet.data or "").strip() or None
        try:
            headers = read_headers(data, sheet, name)
        except FileProblem as exc:
            problem = f"{name}: {exc}."  # refused before anything is stored
        else:
            row = ImportUpload(
                school_id=current_user.school_id,
                staff_id=current_user.id,
                filename=name,
                content=data,
                sheet=sheet,
            )
            db.session.add(row)
            db.session.flush()
            mapping = reimport.mapping_for(row, headers)
            if headers and all(c in mapping for c in REQUIRED):
                return redirect(url_for("office.import_preview", upload_id=row.id), code=303)
            return redirect(url_for("office.import_mapping", upload_id=row.id), code=303)
    status = 422 if form.errors or problem else 200
    return render_template("office/import_upload.html", form=form, problem=problem), status


def mapping(upload_id: int):
    row = _upload(upload_id)
    headers = _headers(row)
    form = ActionForm()
    chosen = reimport.mapping_for(row, headers)
    error = None
    if form.validate_on_submit():
        chosen = {
            ours: request.form[f"map-{ours}"]
            for ours in FIELDS
            if request.form.get(f"map-{ours}") in headers
        }
        row.mapping = json.dumps(chosen, sort_keys=True)  # remembered only once imported
        return redirect(url_for("office.import_preview", upload_id=row.id), code=303)
    return render_template(
        "office/import_mapping.html",
        upload=row,
        headers=headers,
        chosen=chosen,
        labels=LABELS,
        columns=[c for c in FIELDS if c != "phone"],
        required=REQUIRED,
        form=form,
        error=error,
    )


def preview(upload_id: int):
    row = _upload(upload_id)
    outcome = reimport.preview(row, reimport.mapping_for(row, _headers(row)))
    return render_template(
        "office/import_preview.html", upload=row, outcome=outcome, form=ActionForm()
    ), (200 if outcome.ok else 422)


def identity(upload_id: int):
    """The office's corrections: rows that are different people, or one person."""
    row = _upload(upload_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    row.identity_choices = json.dumps(
        {
            "split": sorted(request.form.getlist("split"))[:500],
            "merge": sorted(request.form.getlist("merge"))[:500],
        }
    )
    flash("Your choices are applied: check the preview again.")
    return redirect(url_for("office.import_preview", upload_id=row.id), code=303)


def commit(upload_id: int):
    row = _upload(upload_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    outcome = reimport.commit(
        row,
        reimport.mapping_for(row, _headers(row)),
        actor=f"staff:{current_user.id}",
        leavers_confirmed=request.form.get("confirm_leavers") == "yes",
    )
    if not outcome.ok:
        db.session.rollback()
        flash("Nothing was imported: " + "; ".join(e.message for e in outcome.errors[:3]), "error")
        return redirect(url_for("office.import_preview", upload_id=upload_id), code=303)
    s = outcome.summary
    flash(
        "Imported: "
        + english_plural("%(num)d new pupil", "%(num)d new pupils", s.pupils_added)
        + f", {s.pupils_updated} updated, "
        + english_plural("%(num)d new contact", "%(num)d new contacts", s.contacts_added)
        + f", {s.contacts_updated} updated, "
        + english_plural(
            "%(num)d marked as a leaver", "%(num)d marked as leavers", len(outcome.leavers)
        )  # fmt: skip
        + "; "
        + english_plural("%(num)d carer link", "%(num)d carer links", len(s.stopped))
        + " no longer contacted."
    )
    return redirect(url_for("office.families"), code=303)
