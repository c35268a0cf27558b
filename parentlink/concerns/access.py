"""Only the safeguarding lead (role dsl) sees concerns; every refusal is audited.

A small decorator of our own until the office's role checks land; the answer to anyone
else is a bare 403 that says nothing about the concerns (not even whether one exists).
"""

from __future__ import annotations

from functools import wraps

from flask import abort, request
from flask_login import current_user, login_required

from parentlink.core.audit import record
from parentlink.office.models import Role

REFUSED = "Only the school's safeguarding lead can see this page."


def dsl_required(view):
    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if current_user.role is not Role.DSL:
            record(
                "concern.access_refused",
                actor=f"staff:{current_user.id}",
                school_id=current_user.school_id,
                path=request.path,
                role=current_user.role.value,
            )
            abort(403, description=REFUSED)
        return view(*args, **kwargs)

    return wrapped
