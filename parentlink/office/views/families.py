"""Families: search by name, and one family's page with its timeline."""

from __future__ import annotations

from flask import abort, render_template, request
from flask_login import current_user

from parentlink.office import family_queries
from parentlink.office.forms import SearchForm
from parentlink.office.permissions import Permission, can
from parentlink.office.timeline import timeline


def families():
    form = SearchForm(request.args)
    q = (form.q.data or "").strip() if form.validate() else ""
    raw_page = request.args.get("page", "1")
    page_number = int(raw_page) if raw_page.isdigit() and len(raw_page) < 7 else 1
    page = family_queries.search_pupils(current_user.school_id, q, page=page_number)
    return render_template("office/families.html", form=form, q=q, page=page)


def family(pupil_id: int):
    fam = family_queries.family(current_user.school_id, pupil_id)
    if fam is None:
        abort(404)
    events = timeline(fam, with_concerns=can(Permission.READ_CONCERNS))
    return render_template("office/family.html", fam=fam, events=events)
