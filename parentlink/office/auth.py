"""Staff sign-in: passwords, rate limiting by address, temporary lockout, two-factor codes."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

import pyotp
from flask import current_app
from sqlalchemy import func, select

from parentlink.core.audit import record
from parentlink.core.clock import now
from parentlink.core.tokens import hash_token
from parentlink.db import db
from parentlink.extensions import login_manager
from parentlink.office.models import LoginAttempt, RecoveryCode, StaffUser, dummy_password_check

login_manager.login_view = "office.login"
login_manager.login_message = "Please sign in to see that page."
login_manager.session_protection = "strong"

RECOVERY_CODES = 10
ISSUER = "ParentLink"


def _setting(name: str, default: int) -> int:
    return int(current_app.config.get(name, default))


@login_manager.user_loader
def _load_user(user_id: str) -> StaffUser | None:
    if not user_id.isdigit():
        return None
    return db.session.get(StaffUser, int(user_id))


@dataclass(frozen=True)
class SignIn:
    """The answer to a password sign-in: a user (maybe needing a code), or why not."""

    user: StaffUser | None = None
    error: str | None = None


WRONG = "The email address or password is not right."
TOO_MANY = "Too many attempts from this computer. Please wait {minutes} minutes and try again."
LOCKED = (
    "This account is locked for {minutes} minutes after too many wrong passwords. "
    "Please wait, or ask your ParentLink administrator."
)


def attempts_read_for() -> timedelta:
    """How far back sign-in attempts are read (the rate-limit window or the lockout, the
    longer): older rows serve nothing and housekeeping deletes them."""
    minutes = max(_setting("LOGIN_RATE_WINDOW_MINUTES", 10), _setting("LOGIN_LOCKOUT_MINUTES", 15))
    return timedelta(minutes=minutes)


def _rate_limited(ip_address: str) -> bool:
    window = _setting("LOGIN_RATE_WINDOW_MINUTES", 10)
    since = now() - timedelta(minutes=window)
    attempts = db.session.scalar(
        select(func.count(LoginAttempt.id)).where(
            LoginAttempt.ip_address == ip_address,
            LoginAttempt.at >= since,
            LoginAttempt.succeeded.is_(False),
        )
    )
    return attempts >= _setting("LOGIN_RATE_LIMIT", 20)


def check_password(email: str, password: str, *, ip_address: str | None) -> SignIn:
    """First factor. Every outcome is recorded; a locked or rate-limited attempt checks nothing."""
    ip = ip_address or "unknown"
    email = email.strip().lower()
    at = now()
    if _rate_limited(ip):
        record("staff.login_rate_limited", actor="anonymous", ip=ip, email=email)
        minutes = _setting("LOGIN_RATE_WINDOW_MINUTES", 10)
        return SignIn(error=TOO_MANY.format(minutes=minutes))
    attempt = LoginAttempt(at=at, ip_address=ip, email=email[:254], succeeded=False)
    db.session.add(attempt)
    user = db.session.scalar(select(StaffUser).where(func.lower(StaffUser.email) == email))
    if user is None:
        dummy_password_check(password)
        record("staff.login_failed", actor="anonymous", ip=ip, email=email)
        return SignIn(error=WRONG)
    actor = f"staff:{user.id}"
    if user.locked_until is not None and user.locked_until > at:
        dummy_password_check(password)
        record("staff.login_locked", actor=actor, school_id=user.school_id, ip=ip)
        minutes = _setting("LOGIN_LOCKOUT_MINUTES", 15)
        return SignIn(error=LOCKED.format(minutes=minutes))
    if not user.active or not user.check_password(password):
        user.failed_logins += 1
        if user.failed_logins >= _setting("LOGIN_MAX_FAILURES", 5):
            user.locked_until = at + timedelta(minutes=_setting("LOGIN_LOCKOUT_MINUTES", 15))
            user.failed_logins = 0
            record("staff.locked_out", actor=actor, school_id=user.school_id, ip=ip)
        record("staff.login_failed", actor=actor, school_id=user.school_id, ip=ip)
        return SignIn(error=WRONG)
    attempt.succeeded = True
    user.failed_logins = 0
    user.locked_until = None
    return SignIn(user=user)


def complete_sign_in(user: StaffUser, *, ip_address: str | None, method: str) -> None:
    user.last_login_at = now()
    record(
        "staff.login", actor=f"staff:{user.id}", school_id=user.school_id, ip=ip_address, by=method
    )


# --- two-factor -----------------------------------------------------------------------------


def _totp(secret: str) -> pyotp.TOTP:
    return pyotp.TOTP(secret)


def _step(at_timestamp: float) -> int:
    return int(at_timestamp // 30)


def verify_totp(user: StaffUser, code: str, *, secret: str | None = None) -> bool:
    """A six-digit code from the app, within one step either side; each code works once."""
    secret = secret or user.totp_secret
    code = "".join(code.split())
    if not secret or not code.isdigit() or len(code) != 6:
        return False
    at = now().timestamp()
    totp = _totp(secret)
    for drift in (0, -1, 1):
        step = _step(at) + drift
        if step <= (user.totp_last_step or -1):
            continue
        if secrets.compare_digest(totp.at(step * 30), code):
            user.totp_last_step = step
            return True
    return False


def use_recovery_code(user: StaffUser, code: str) -> bool:
    digest = hash_token(normalise_recovery_code(code))
    for recovery in user.recovery_codes:
        if recovery.used_at is None and secrets.compare_digest(recovery.code_hash, digest):
            recovery.used_at = now()
            record("staff.recovery_code_used", actor=f"staff:{user.id}", school_id=user.school_id)
            return True
    return False


def normalise_recovery_code(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())


def new_totp_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(user: StaffUser, secret: str) -> str:
    return _totp(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)


def enable_two_factor(user: StaffUser, secret: str, code: str) -> list[str] | None:
    """Turn two-factor on once the app shows a right code; returns fresh recovery codes."""
    if not verify_totp(user, code, secret=secret):
        return None
    user.totp_secret = secret
    user.totp_confirmed_at = now()
    codes = [_new_recovery_code() for _ in range(RECOVERY_CODES)]
    user.recovery_codes = [
        RecoveryCode(code_hash=hash_token(normalise_recovery_code(c))) for c in codes
    ]
    db.session.flush()
    record("staff.two_factor_enabled", actor=f"staff:{user.id}", school_id=user.school_id)
    return codes


def disable_two_factor(user: StaffUser) -> None:
    user.totp_secret = None
    user.totp_confirmed_at = None
    user.totp_last_step = None
    user.recovery_codes = []
    record("staff.two_factor_disabled", actor=f"staff:{user.id}", school_id=user.school_id)


def _new_recovery_code() -> str:
    raw = "".join(secrets.choice("ABCDEFGHJKMNPQRSTVWXYZ23456789") for _ in range(10))
    return f"{raw[:5]}-{raw[5:]}"
