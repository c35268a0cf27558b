"""Staff sign-in with Flask-Login."""

from __future__ import annotations

from sqlalchemy import func, select

from parentlink.core.audit import record
from parentlink.core.clock import now
from parentlink.db import db
from parentlink.extensions import login_manager
from parentlink.office.models import StaffUser, dummy_password_check

login_manager.login_view = "office.login"
login_manager.login_message = "Please sign in to see that page."
login_manager.session_protection = "strong"


@login_manager.user_loader
def _load_user(user_id: str) -> StaffUser | None:
    if not user_id.isdigit():
        return None
    return db.session.get(StaffUser, int(user_id))


def authenticate(email: str, password: str, *, ip_address: str | None) -> StaffUser | None:
    user = db.session.scalar(
        select(StaffUser).where(func.lower(StaffUser.email) == email.strip().lower())
    )
    if user is None:
        dummy_password_check(password)
        record("staff.login_failed", actor="anonymous", ip=ip_address)
        return None
    if not user.active or not user.check_password(password):
        record(
            "staff.login_failed", actor=f"staff:{user.id}", school_id=user.school_id, ip=ip_address
        )
        return None
    user.last_login_at = now()
    record("staff.login", actor=f"staff:{user.id}", school_id=user.school_id, ip=ip_address)
    return user
