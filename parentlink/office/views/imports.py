"""MIS import through the office: upload, map columns (once), preview, commit."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from parentlink.core.text import find_control
from parentlink.db import db
from parentlink.directory import reimport
from parentlink.directory.importer import COLUMNS, REQUIRED
from parentlink.directory.mis import FileProblem, decode, read_table
from parentlink.directory.models import ImportUpload
from parentlink.office.forms import ActionForm, UploadForm

LABELS = {
    "pupil_id": "Pupil's MIS id (UPN or admission number)",
    "pupil_first_name": "Pupil's first name",
    "pupil_last_name": "Pupil's last name",
    "year_group": "Year group",
    "class": "Class or registration group",
    "contact_id": "Contact's MIS id",
    "contact_first_name": "Contact's first name",
    "contact_last_name": "Contact's last name",
    "relationship": "Relationship",
    "parental_responsibility": "Parental responsibility (yes/no)",
    "mobile": "Mobile number",
    "email": "Email address",
    "preferred_channel": "Preferred channel (sms/email)",
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
    try:
        text, _ = decode(upload.content)
    except (FileProblem, UnicodeDecodeError):
        return []
    headers = read_table(text)[0]
    return [] if any(find_control(h) for h in headers) else headers  # preview says why


def upload():
    form = UploadForm()
    if form.validate_on_submit():
        data = form.file.data.read()
        name = (form.file.data.filename or "families.csv")[:200]
        row = ImportUpload(
            school_id=current_user.school_id, staff_id=current_user.id, filename=name, content=data
        )
        db.session.add(row)
        db.session.flush()
        headers = _headers(row)
        mapping = reimport.mapping_for(row, headers)
        wide = any(h.lower().startswith("contact 1") for h in headers)
        needed = REQUIRED[:5] if wide else REQUIRED
        if headers and all(c in mapping for c in needed):
            return redirect(url_for("office.import_preview", upload_id=row.id), code=303)
        return redirect(url_for("office.import_mapping", upload_id=row.id), code=303)
    status = 422 if form.errors else 200
    return render_template("office/import_upload.html", form=form), status


def mapping(upload_id: int):
    row = _upload(upload_id)
    headers = _headers(row)
    form = ActionForm()
    chosen = reimport.mapping_for(row, headers)
    error = None
    if form.validate_on_submit():
        chosen = {
            ours: request.form[f"map-{ours}"]
            for ours in COLUMNS
            if request.form.get(f"map-{ours}") in headers
        }
        reimport.remember_mapping(row.school_id, chosen)
        return redirect(url_for("office.import_preview", upload_id=row.id), code=303)
    return render_template(
        "office/import_mapping.html",
        upload=row,
        headers=headers,
        chosen=chosen,
        labels=LABELS,
        columns=COLUMNS,
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


def commit(upload_id: int):
    row = _upload(upload_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    outcome = reimport.commit(
        row, reimport.mapping_for(row, _headers(row)), actor=f"staff:{current_user.id}"
    )
    if not outcome.ok:
        db.session.rollback()
        flash("Nothing was imported: the file has problems. Here they are.")
        return redirect(url_for("office.import_preview", upload_id=upload_id), code=303)
    s = outcome.summary
    flash(
        f"Imported: {s.pupils_added} new pupils, {s.pupils_updated} updated, "
        f"{s.contacts_added} new contacts, {s.contacts_updated} updated, "
        f"{len(outcome.leavers)} marked as leavers."
    )
    return redirect(url_for("office.families"), code=303)
