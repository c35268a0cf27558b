"""The school's agreements: every version, its status, its hash and its clauses."""

from __future__ import annotations

from flask import abort, render_template
from flask_login import current_user
from sqlalchemy import select

from parentlink.agreements.models import Agreement, AgreementVersion
from parentlink.db import db


def agreements():
    rows = db.session.scalars(
        select(Agreement)
        .where(Agreement.school_id == current_user.school_id)
        .order_by(Agreement.id)
    ).all()
    return render_template("office/agreements.html", agreements=rows)


def version(version_id: int):
    row = db.session.scalar(
        select(AgreementVersion).where(
            AgreementVersion.id == version_id,
            AgreementVersion.school_id == current_user.school_id,
        )
    )
    if row is None:
        abort(404)
    return render_template("office/agreement_version.html", version=row)
