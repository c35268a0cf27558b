"""Who may do what in the office: one table, one decorator.

Every staff route is wrapped in `@requires(Permission.X)`. The decorator signs the visitor in
(or sends them to the sign-in page), enforces two-factor enrolment and the idle timeout (see
`parentlink.office.session`), and refuses with a bare 403 — recorded in the audit log — when
the role lacks the permission. Other blueprints (concerns, for the DSL) use it the same way:

    from parentlink.office.permissions import Permission, requires

    @blueprint.get("/office/concerns/")
    @requires(Permission.READ_CONCERNS)
    def concerns(): ...

Templates ask `can(Permission.X)` (a global) to show or hide a button; the route still checks.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from functools import wraps
from typing import TypeVar

from flask import abort, request
from flask_login import current_user

from parentlink.core.audit import record
from parentlink.office.models import Role


class Permission(enum.Enum):
    VIEW_OVERVIEW = "view-overview"  # counts, charts, campaign list
    VIEW_FAMILIES = "view-families"  # names, contact details, timelines, message log
    CHASE = "chase"  # remind now, record a paper/phone reply, mark details wrong
    ANSWER_QUESTIONS = "answer-questions"  # reply to parents' questions, pass them to the DSL
    IMPORT = "import"  # MIS import
    RUN_CAMPAIGNS = "run-campaigns"  # create, launch, close campaigns
    EDIT_AGREEMENTS = "edit-agreements"  # edit drafts, publish versions
    EXPORT = "export"  # CSV exports and evidence pages
    READ_CONCERNS = "read-concerns"  # concerns and their chronology: the DSL only
    MANAGE_SETTINGS = "manage-settings"  # school details, sending window, staff accounts
    VIEW_AUDIT = "view-audit"  # the audit log: every sign-in, refusal and change
    OWN_ACCOUNT = "own-account"  # your own account page (your mobile for test messages)
    RESTRICT_CONTACT = "restrict-contact"  # record or clear a court-order restriction


P = Permission
PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(
        {
            P.VIEW_OVERVIEW,
            P.VIEW_FAMILIES,
            P.CHASE,
            P.ANSWER_QUESTIONS,
            P.IMPORT,
            P.RUN_CAMPAIGNS,
            P.EDIT_AGREEMENTS,
            P.EXPORT,
            P.MANAGE_SETTINGS,
            P.VIEW_AUDIT,
            P.OWN_ACCOUNT,
            P.RESTRICT_CONTACT,
        }
    ),
    Role.OFFICE: frozenset(
        {
            P.VIEW_OVERVIEW,
            P.VIEW_FAMILIES,
            P.CHASE,
            P.ANSWER_QUESTIONS,
            P.IMPORT,
            P.RUN_CAMPAIGNS,
            P.EXPORT,
            P.OWN_ACCOUNT,
        }
    ),
    Role.DSL: frozenset(
        {
            P.VIEW_OVERVIEW,
            P.VIEW_FAMILIES,
            P.EXPORT,
            P.READ_CONCERNS,
            P.OWN_ACCOUNT,
            P.RESTRICT_CONTACT,
        }
    ),
    Role.VIEWER: frozenset({P.VIEW_OVERVIEW, P.OWN_ACCOUNT}),
}

# Roles that must use two-factor sign-in; the others may turn it on.
TWO_FACTOR_REQUIRED = frozenset({Role.ADMIN, Role.DSL})


def role_can(role: Role, permission: Permission) -> bool:
    return permission in PERMISSIONS.get(role, frozenset())


def can(permission: Permission) -> bool:
    """For templates and views: may the signed-in staff member do this?"""
    return bool(current_user.is_authenticated and role_can(current_user.role, permission))


F = TypeVar("F", bound=Callable)


def requires(permission: Permission) -> Callable[[F], F]:
    """Sign-in, two-factor, idle timeout, then the permission; a refusal is a bare 403."""

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapped(*args, **kwargs):
            from parentlink.office.session import staff_gate

            redirect_response = staff_gate()
            if redirect_response is not None:
                return redirect_response
            if not role_can(current_user.role, permission):
                record(
                    "staff.permission_refused",
                    actor=f"staff:{current_user.id}",
                    school_id=current_user.school_id,
                    permission=permission.value,
                    path=request.path,
                    method=request.method,
                )
                abort(403)
            return view(*args, **kwargs)

        wrapped.required_permission = permission  # for the route-by-route tests
        return wrapped  # type: ignore[return-value]

    return decorate
