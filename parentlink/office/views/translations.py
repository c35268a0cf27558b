"""Translations of an agreement version on the office's agreement pages: add, correct, mark
reviewed; and whether family messages go in each family's language."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from parentlink.agreements import translation_edits
from parentlink.core.i18n import LANGUAGES, english_plural
from parentlink.db import db
from parentlink.office.forms import ActionForm
from parentlink.office.views.agreements import _version
from parentlink.schools.models import School


def edit(version_id: int, language: str):
    version = _version(version_id)
    if language not in LANGUAGES or language == "en":
        abort(404)
    form = ActionForm()
    error = None
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        typed = {
            clause.id: (
                request.form.get(f"summary-{clause.id}", ""),
                request.form.get(f"body-{clause.id}", ""),
            )
            for clause, _, _ in translation_edits.editable(version, language)
        }
        try:
            count = translation_edits.save(
                version,
                language,
                typed,
                reviewed=request.form.get("reviewed") == "yes",
                actor=f"staff:{current_user.id}",
                editor=current_user.name,
            )
        except translation_edits.TranslationEditError as exc:
            error = str(exc)
        else:
            flash(
                f"{LANGUAGES[language].name}: "
                + english_plural("%(num)d clause translated", "%(num)d clauses translated", count)
                + ", saved."
            )
            return redirect(url_for("office.version", version_id=version.id), code=303)
    return render_template(
        "office/translation_edit.html",
        version=version,
        language=LANGUAGES[language],
        items=translation_edits.editable(version, language),
        form=form,
        error=error,
        typed=request.form if error else None,
    ), (422 if error else 200)


def family_language():
    if not ActionForm().validate_on_submit():
        abort(400)
    on = request.form.get("on") == "yes"
    school = db.session.get(School, current_user.school_id)
    translation_edits.set_family_language(school, on, actor=f"staff:{current_user.id}")
    flash(
        "Family messages now go in each family's language."
        if on
        else "Family messages now go in English."
    )
    return redirect(url_for("office.agreements"), code=303)
