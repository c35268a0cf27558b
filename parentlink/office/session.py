"""The staff session, owned by the server: signed in, two-factor done (or enrolled), not
idle too long, not older than its absolute lifetime, not ended since it began.

The cookie holds the account's session version from sign-in; the account row holds the
current one. Raising it (`end_every_session`) ends every session of the account at its next
request, on every worker and host: logout, a new password, a role change, deactivation and
a two-factor reset do so. A cookie copied before logout therefore opens nothing afterwards.
"""

from __future__ import annotations

from flask import current_app, flash, g, redirect, request, session, url_for
from flask_login import current_user, login_user, logout_user
from sqlalchemy import update

from parentlink.core.audit import record
from parentlink.core.clock import now
from parentlink.core.i18n import english_plural
from parentlink.db import db
from parentlink.extensions import login_manager
from parentlink.office.models import StaffUser

SEEN = "staff_seen_at"
STARTED = "staff_started_at"
VERSION = "staff_session_version"
CONFIRMED = "staff_identity_confirmed_at"  # password (and code) typed again, for changes
PENDING = "staff_pending_2fa"  # the token of the two-factor challenge
ENROL_ENDPOINTS = frozenset({"office.two_factor_setup", "office.logout", "office.confirm"})
_KEYS = (SEEN, STARTED, VERSION, CONFIRMED, PENDING)


def idle_limit_seconds() -> int:
    return int(current_app.config.get("STAFF_IDLE_MINUTES", 30)) * 60


def lifetime_seconds() -> int:
    return int(current_app.config.get("STAFF_SESSION_HOURS", 12)) * 3600


def confirm_window_seconds() -> int:
    return int(current_app.config.get("STAFF_CONFIRM_MINUTES", 5)) * 60


def staff_context() -> dict:
    """The signed-in staff member for the office's templates (their blueprints only)."""
    return {"current_user": current_user}


@login_manager.user_loader
def _load_user(user_id: str) -> StaffUser | None:
    """The signed-in account, unless its sessions were ended since this one began."""
    if not user_id.isdigit():
        return None
    user = db.session.get(StaffUser, int(user_id))
    if user is None:
        return None
    if not user.active or session.get(VERSION) != user.session_version:
        g.staff_session_ended = user
        return None
    return user


def start(user: StaffUser) -> None:
    session.pop(PENDING, None)
    login_user(user)
    session[SEEN] = session[STARTED] = session[CONFIRMED] = now().timestamp()
    session[VERSION] = user.session_version


def end() -> None:
    logout_user()
    for key in _KEYS:
        session.pop(key, None)


def end_every_session(user: StaffUser, reason: str) -> None:
    """Every session of this account ends at its next request (this one too)."""
    db.session.execute(
        update(StaffUser)
        .where(StaffUser.id == user.id)
        .values(session_version=StaffUser.session_version + 1)
        .execution_options(synchronize_session=False)
    )
    db.session.expire(user, ["session_version"])
    record(
        "staff.sessions_ended", actor=f"staff:{user.id}", school_id=user.school_id, reason=reason
    )


def keep_this_session(user: StaffUser) -> None:
    """After `end_every_session` on one's own account: this browser stays signed in."""
    session[VERSION] = user.session_version
    session[CONFIRMED] = now().timestamp()


def confirmed_recently() -> bool:
    confirmed = session.get(CONFIRMED)
    return confirmed is not None and now().timestamp() - float(confirmed) <= (
        confirm_window_seconds()
    )


def two_factor_required(user: StaffUser) -> bool:
    from parentlink.office.permissions import TWO_FACTOR_REQUIRED

    return user.role in TWO_FACTOR_REQUIRED


def _signed_out(action: str, user: StaffUser, message: str, **detail):
    record(action, actor=f"staff:{user.id}", school_id=user.school_id, **detail)
    end()
    flash(message)
    return redirect(url_for("office.login", next=request.full_path))


def staff_gate():
    """None when the request may go on; otherwise the redirect to send instead."""
    ended = g.pop("staff_session_ended", None)
    if not current_user.is_authenticated and ended is not None:
        return _signed_out(
            "staff.session_revoked", ended, "Your session has ended. Please sign in again."
        )
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    at = now().timestamp()
    started = session.get(STARTED)
    if started is None or at - float(started) > lifetime_seconds():
        hours = lifetime_seconds() // 3600
        return _signed_out(
            "staff.session_expired", current_user,
            english_plural(
                "You were signed out %(num)d hour after signing in. Please sign in again.",
                "You were signed out %(num)d hours after signing in. Please sign in again.",
                hours,
            ),
            after="lifetime",
        )  # fmt: skip
    seen = session.get(SEEN)
    if seen is None or at - float(seen) > idle_limit_seconds():
        minutes = idle_limit_seconds() // 60
        return _signed_out(
            "staff.session_expired", current_user,
            english_plural(
                "You were signed out after %(num)d minute without activity. Please sign in.",
                "You were signed out after %(num)d minutes without activity. Please sign in.",
                minutes,
            ),
            after="idle",
        )  # fmt: skip
    session[SEEN] = at
    if (
        two_factor_required(current_user)
        and not current_user.two_factor_enabled
        and request.endpoint not in ENROL_ENDPOINTS
    ):
        flash("Your role needs two-factor sign-in. Please set it up to continue.")
        return redirect(url_for("office.two_factor_setup"))
    return None


def confirm_gate(back: str):
    """For changes that need the password (and a code) typed again: None when that was
    done in the last few minutes, else the way to the confirm page, which returns to
    `back` (a page to make the change from again)."""
    if confirmed_recently():
        return None
    flash("Please confirm it is you before making this change.")
    return redirect(url_for("office.confirm", next=back), code=303)
