"""The school's agreements: every version, its status, its hash and its clauses."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from parentlink.agreements import drafts, translation_edits
from parentlink.agreements.models import (
    Agreement,
    AgreementVersion,
    Audience,
    Clause,
    VersionStatus,
)
from parentlink.agreements.queries import reading_of
from parentlink.agreements.services import publish
from parentlink.core.states import InvalidTransition
from parentlink.db import db
from parentlink.office.forms import ActionForm, ClauseForm, PublishForm
from parentlink.schools.models import School


def agreements():
    rows = db.session.scalars(
        select(Agreement)
        .where(Agreement.school_id == current_user.school_id)
        .order_by(Agreement.id)
    ).all()
    return render_template(
        "office/agreements.html",
        agreements=rows,
        form=ActionForm(),
        school=db.session.get(School, current_user.school_id),
    )


def version(version_id: int):
    row = db.session.scalar(
        select(AgreementVersion).where(
            AgreementVersion.id == version_id,
            AgreementVersion.school_id == current_user.school_id,
        )
    )
    if row is None:
        abort(404)
    return render_template(
        "office/agreement_version.html",
        version=row,
        reading=reading_of(row),
        translations=translation_edits.overview(row),
        form=ActionForm(),
        publish_form=PublishForm(),
    )


def _version(version_id: int) -> AgreementVersion:
    row = db.session.scalar(
        select(AgreementVersion).where(
            AgreementVersion.id == version_id,
            AgreementVersion.school_id == current_user.school_id,
        )
    )
    if row is None:
        abort(404)
    return row


def new_draft(version_id: int):
    source = _version(version_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        draft = drafts.new_draft(source, actor=f"staff:{current_user.id}")
    except drafts.DraftError as exc:
        flash(f"{exc}.".capitalize())
        return redirect(url_for("office.agreements"), code=303)
    flash(f"Draft {draft.label} is ready to edit.")
    return redirect(url_for("office.version", version_id=draft.id), code=303)


def edit_clause(clause_id: int):
    clause = db.session.scalar(
        select(Clause)
        .join(AgreementVersion)
        .where(Clause.id == clause_id, AgreementVersion.school_id == current_user.school_id)
    )
    if clause is None:
        abort(404)
    if clause.version.status is not VersionStatus.DRAFT:
        abort(409)
    form = ClauseForm(obj=None if request.method == "POST" else clause)
    if request.method == "GET":
        form.audiences.data = sorted(a.value for a in clause.audiences)
    error = None
    if form.validate_on_submit():
        try:
            drafts.edit_clause(
                clause,
                summary=form.summary.data,
                body=form.body.data,
                audiences={Audience(v) for v in form.audiences.data},
                position=form.position.data,
                point=form.point.data,
                actor=f"staff:{current_user.id}",
            )
        except drafts.DraftError as exc:
            error = str(exc)
        else:
            flash("Clause saved.")
            return redirect(url_for("office.version", version_id=clause.version_id), code=303)
    status = 422 if (error or form.errors) else 200
    return render_template(
        "office/clause_edit.html",
        clause=clause,
        form=form,
        error=error,
        reading=reading_of(clause.version),
    ), status


def publish_version(version_id: int):
    version = _version(version_id)
    form = PublishForm()
    if not form.validate_on_submit():
        flash("Choose minor or major, then publish.")
        return redirect(url_for("office.version", version_id=version.id), code=303)
    try:
        publish(version, actor=f"staff:{current_user.id}", major=form.change.data == "major")
    except InvalidTransition:
        flash("Only a draft can be published.")
    else:
        flash(f"Version {version.label} is published and frozen.")
    return redirect(url_for("office.version", version_id=version.id), code=303)
