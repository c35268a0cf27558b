"""Staff sign-in, first factor: passwords, throttled by address and by (email, address).

Nothing here can lock a colleague out from somewhere else. Wrong passwords are counted
per (typed email, address) from the attempts table: after two, each further try must wait
longer (2, 4, 8 … seconds), and the fifth closes that email *from that address* for
LOGIN_LOCKOUT_MINUTES (recorded in the audit log; an administrator can unlock at once).
The same email from another address (the school office) is not slowed down. An address
with many failures over any emails is refused for a while (LOGIN_RATE_LIMIT).

Every answer is the same, and takes the same time, whether the account exists, is
deactivated, invited (no password yet), locked or real: the password hash is always
verified (against a dummy hash where there is none), and throttling is keyed on the typed
email, never on whether it is an account.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, func, select

from parentlink.core.audit import record
from parentlink.core.clock import now
from parentlink.db import db
from parentlink.extensions import login_manager
from parentlink.office.models import LoginAttempt, StaffUser, dummy_password_check

login_manager.login_view = "office.login"
login_manager.login_message = "Please sign in to see that page."
login_manager.session_protection = "strong"

SLOW_DOWN_AFTER = 2  # wrong passwords (email, address) before each try must wait


def setting(name: str, default: int) -> int:
    return int(current_app.config.get(name, default))


@dataclass(frozen=True)
class SignIn:
    """The answer to a password sign-in: a user (maybe needing a code), or why not."""

    user: StaffUser | None = None
    error: str | None = None


WRONG = "The email address or password is not right."
TOO_MANY = "Too many attempts from this computer. Please wait {minutes} minutes and try again."
LOCKED = (
    "Too many wrong passwords for this email address from this computer: it is locked here "
    "for {minutes} minutes. Please wait, or ask your ParentLink administrator to unlock it."
)
SLOW_DOWN = "Please wait a few seconds before trying again."


def attempts_read_for() -> timedelta:
    """How far back sign-in attempts are read (the rate-limit window or the lockout, the
    longer): older rows serve nothing and housekeeping deletes them."""
    minutes = max(setting("LOGIN_RATE_WINDOW_MINUTES", 10), setting("LOGIN_LOCKOUT_MINUTES", 15))
    return timedelta(minutes=minutes)


def _rate_limited(ip_address: str) -> bool:
    since = now() - timedelta(minutes=setting("LOGIN_RATE_WINDOW_MINUTES", 10))
    attempts = db.session.scalar(
        select(func.count(LoginAttempt.id)).where(
            LoginAttempt.ip_address == ip_address,
            LoginAttempt.at >= since,
            LoginAttempt.succeeded.is_(False),
        )
    )
    return attempts >= setting("LOGIN_RATE_LIMIT", 20)


def _failures(email: str, ip_address: str, at: datetime) -> list[datetime]:
    """Times of this email's wrong passwords from this address since its last success,
    within the lockout window, newest first."""
    since = at - timedelta(minutes=setting("LOGIN_LOCKOUT_MINUTES", 15))
    last_success = (
        select(func.max(LoginAttempt.at))
        .where(
            LoginAttempt.email == email,
            LoginAttempt.ip_address == ip_address,
            LoginAttempt.succeeded.is_(True),
        )
        .scalar_subquery()
    )
    rows = db.session.scalars(
        select(LoginAttempt.at)
        .where(
            LoginAttempt.email == email,
            LoginAttempt.ip_address == ip_address,
            LoginAttempt.succeeded.is_(False),
            LoginAttempt.at >= since,
            LoginAttempt.at > func.coalesce(last_success, since),
        )
        .order_by(LoginAttempt.at.desc())
    )
    return list(rows)


def _throttled(email: str, ip_address: str, at: datetime) -> str | None:
    failures = _failures(email, ip_address, at)
    if len(failures) >= setting("LOGIN_MAX_FAILURES", 5):
        return LOCKED.format(minutes=setting("LOGIN_LOCKOUT_MINUTES", 15))
    if len(failures) >= SLOW_DOWN_AFTER:
        wait = timedelta(seconds=2 ** (len(failures) - SLOW_DOWN_AFTER + 1))
        if at - failures[0] < wait:
            return SLOW_DOWN
    return None


def _account(email: str) -> StaffUser | None:
    return db.session.scalar(select(StaffUser).where(func.lower(StaffUser.email) == email))


def check_password(email: str, password: str, *, ip_address: str | None) -> SignIn:
    """First factor. Every outcome is recorded; a throttled attempt checks nothing, but
    spends the time a check takes."""
    ip = ip_address or "unknown"
    email = email.strip().lower()[:254]
    at = now()
    if _rate_limited(ip):
        dummy_password_check(password)
        record("staff.login_rate_limited", actor="anonymous", ip=ip, email=email)
        return SignIn(error=TOO_MANY.format(minutes=setting("LOGIN_RATE_WINDOW_MINUTES", 10)))
    refusal = _throttled(email, ip, at)
    if refusal is not None:
        dummy_password_check(password)
        record("staff.login_throttled", actor="anonymous", ip=ip, email=email)
        return SignIn(error=refusal)
    user = _account(email)
    attempt = LoginAttempt(at=at, ip_address=ip, email=email, succeeded=False)
    db.session.add(attempt)
    if user is None:
        dummy_password_check(password)
    elif user.check_password(password):
        attempt.succeeded = True
        return SignIn(user=user)
    actor = f"staff:{user.id}" if user else "anonymous"
    school_id = user.school_id if user else None
    record("staff.login_failed", actor=actor, school_id=school_id, ip=ip, email=email)
    db.session.flush()
    if len(_failures(email, ip, at)) == setting("LOGIN_MAX_FAILURES", 5):
        until = at + timedelta(minutes=setting("LOGIN_LOCKOUT_MINUTES", 15))
        record(
            "staff.locked_out", actor=actor, school_id=school_id, ip=ip, email=email,
            until=until.isoformat(),
        )  # fmt: skip
    return SignIn(error=WRONG)


def locked_addresses(user: StaffUser) -> int:
    """From how many addresses this account's email is locked now (for the staff page)."""
    at = now()
    since = at - timedelta(minutes=setting("LOGIN_LOCKOUT_MINUTES", 15))
    addresses = db.session.scalars(
        select(LoginAttempt.ip_address)
        .where(
            LoginAttempt.email == user.email.lower(),
            LoginAttempt.succeeded.is_(False),
            LoginAttempt.at >= since,
        )
        .distinct()
    ).all()
    return sum(
        len(_failures(user.email.lower(), ip, at)) >= setting("LOGIN_MAX_FAILURES", 5)
        for ip in addresses
    )


def unlock(user: StaffUser, *, admin: StaffUser) -> None:
    """An administrator lifts every lock on this account: wrong passwords from any
    address, and the two-factor code step."""
    removed = db.session.execute(
        delete(LoginAttempt)
        .where(LoginAttempt.email == user.email.lower(), LoginAttempt.succeeded.is_(False))
        .execution_options(synchronize_session=False)
    ).rowcount
    user.code_failures = 0
    user.code_locked_until = None
    record(
        "staff.unlocked", actor=f"staff:{admin.id}", school_id=user.school_id,
        subject=f"staff:{user.id}", failed_attempts_cleared=removed or 0,
    )  # fmt: skip


def complete_sign_in(user: StaffUser, *, ip_address: str | None, method: str) -> None:
    user.last_login_at = now()
    record(
        "staff.login", actor=f"staff:{user.id}", school_id=user.school_id, ip=ip_address, by=method
    )
