"""The audit log, for administrators: who did what, when; filtered, newest first."""

from __future__ import annotations

import json

from flask import render_template, request
from flask_login import current_user
from sqlalchemy import select

from parentlink.db import db
from parentlink.office.audit_queries import audit_page
from parentlink.office.audit_words import KINDS, Names, kind_prefixes
from parentlink.office.models import StaffUser
from parentlink.office.settings_forms import AuditFilterForm


def _people(school_id: int) -> list[tuple[str, str]]:
    staff = db.session.execute(
        select(StaffUser.id, StaffUser.name)
        .where(StaffUser.school_id == school_id)
        .order_by(StaffUser.name, StaffUser.id)
    ).all()
    return [
        ("", "Everyone"),
        *((f"staff:{row.id}", row.name) for row in staff),
        ("contacts", "Parents and carers"),
    ]


def audit_log():
    form = AuditFilterForm(request.args)
    form.actor.choices = _people(current_user.school_id)
    form.kind.choices = [("", "Every kind"), *((k, v[0]) for k, v in KINDS.items())]
    valid = form.validate()
    before = request.args.get("before", "")
    error = None
    if valid and form.since.data and form.until.data and form.until.data < form.since.data:
        error = "the end date is before the start date"
    if not valid or error:
        page = None
    else:
        page = audit_page(
            current_user.school_id,
            action=(form.action.data or "").strip() or None,
            actor=(form.actor.data or "").strip() or None,
            prefixes=kind_prefixes(form.kind.data),
            since=form.since.data,
            until=form.until.data,
            before=int(before) if before.isdigit() and len(before) < 12 else None,
        )
    names = Names(current_user.school_id, page.events) if page else None
    status = 422 if (error or form.errors) else 200
    return render_template(
        "office/audit.html", form=form, page=page, names=names, error=error,
        details={e.id: _detail(e.detail) for e in page.events} if page else {},
        first_page=not before,
    ), status  # fmt: skip


def _detail(raw: str | None) -> list[tuple[str, str]]:
    if not raw:
        return []
    try:
        data = json.loads(raw)
    except ValueError:
        return [("detail", raw)]
    if not isinstance(data, dict):
        return [("detail", str(data))]
    out = []
    for key, value in data.items():
        if key == "changes" and isinstance(value, dict):
            for name, pair in value.items():
                if isinstance(pair, list) and len(pair) == 2:
                    out.append((name, f"{_show(pair[0])} → {_show(pair[1])}"))
            continue
        out.append((key, _show(value)))
    return out


def _show(value) -> str:
    if value is None or value == "":
        return "(none)"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)
