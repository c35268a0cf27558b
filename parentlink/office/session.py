"""The staff session: signed in, two-factor done (or enrolled), not idle too long."""

from __future__ import annotations

from flask import current_app, flash, redirect, request, session, url_for
from flask_login import current_user, login_user, logout_user

from parentlink.core.audit import record
from parentlink.core.clock import now
from parentlink.extensions import login_manager
from parentlink.office.models import StaffUser

SEEN = "staff_seen_at"
STARTED = "staff_started_at"
PENDING = "staff_pending_2fa"
ENROL_ENDPOINTS = frozenset({"office.two_factor_setup", "office.logout"})


def idle_limit_seconds() -> int:
    return int(current_app.config.get("STAFF_IDLE_MINUTES", 30)) * 60


def start(user: StaffUser) -> None:
    session.pop(PENDING, None)
    login_user(user)
    session[SEEN] = session[STARTED] = now().timestamp()


def end() -> None:
    logout_user()
    session.pop(SEEN, None)
    session.pop(STARTED, None)
    session.pop(PENDING, None)


def two_factor_required(user: StaffUser) -> bool:
    from parentlink.office.permissions import TWO_FACTOR_REQUIRED

    return user.role in TWO_FACTOR_REQUIRED


def _revoked(user: StaffUser) -> bool:
    """Deactivated, or their sessions were ended (e.g. two-factor reset) since this began."""
    if not user.active:
        return True
    revoked = user.sessions_revoked_at
    return revoked is not None and float(session.get(STARTED, 0)) < revoked.timestamp()


def staff_gate():
    """None when the request may go on; otherwise the redirect to send instead."""
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    at = now().timestamp()
    if _revoked(current_user):
        record(
            "staff.session_revoked",
            actor=f"staff:{current_user.id}",
            school_id=current_user.school_id,
        )
        end()
        flash("Your session has ended. Please sign in again.")
        return redirect(url_for("office.login"))
    seen = session.get(SEEN)
    if seen is None or at - float(seen) > idle_limit_seconds():
        record(
            "staff.session_expired",
            actor=f"staff:{current_user.id}",
            school_id=current_user.school_id,
        )
        end()
        minutes = idle_limit_seconds() // 60
        flash(f"You were signed out after {minutes} minutes without activity. Please sign in.")
        return redirect(url_for("office.login", next=request.full_path))
    session[SEEN] = at
    if (
        two_factor_required(current_user)
        and not current_user.two_factor_enabled
        and request.endpoint not in ENROL_ENDPOINTS
    ):
        flash("Your role needs two-factor sign-in. Please set it up to continue.")
        return redirect(url_for("office.two_factor_setup"))
    return None
