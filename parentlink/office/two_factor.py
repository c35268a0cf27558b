"""Staff sign-in, second factor: TOTP codes and recovery codes, counted on the server.

After a right password the browser holds only the token of a `SignInChallenge` row, open
for CHALLENGE_MINUTES and finished once. Every code tried is counted on the account in the
database (never in the cookie), by a conditional UPDATE that parallel requests cannot both
pass: LOGIN_MAX_FAILURES wrong codes in a row close the code step for LOGIN_LOCKOUT_MINUTES.
A TOTP time step is taken by `UPDATE … WHERE totp_last_step < step`, and a recovery code by
`UPDATE … WHERE used_at IS NULL`; only the request whose UPDATE changed a row signs in, so
one code sent twice at once signs in once.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

import pyotp
from sqlalchemy import or_, select, update

from parentlink.core.audit import record
from parentlink.core.clock import now
from parentlink.core.tokens import hash_token
from parentlink.db import db
from parentlink.office.auth import setting
from parentlink.office.models import RecoveryCode, SignInChallenge, StaffUser

RECOVERY_CODES = 10
ISSUER = "ParentLink"
CHALLENGE_MINUTES = 5

WRONG_CODE = "That code is not right. Codes change every 30 seconds; try the newest one."
CODES_LOCKED = (
    "Too many wrong codes: the code step of this account is closed for {minutes} minutes. "
    "Please wait, or ask your ParentLink administrator to unlock it."
)
EXPIRED = "Your sign-in took too long or has ended. Please sign in again."


# --- the half-signed-in state ---------------------------------------------------------------


def open_challenge(user: StaffUser) -> str:
    """After a right password: a new challenge (earlier open ones of this account end);
    returns its token, for the session."""
    at = now()
    db.session.execute(
        update(SignInChallenge)
        .where(SignInChallenge.staff_id == user.id, SignInChallenge.finished_at.is_(None))
        .values(finished_at=at)
        .execution_options(synchronize_session=False)
    )
    token = secrets.token_urlsafe(16)
    db.session.add(SignInChallenge(staff_id=user.id, token_hash=hash_token(token), created_at=at))
    return token


def challenge_for(token: str | None) -> SignInChallenge | None:
    """The open, unexpired challenge this token names."""
    if not token or not isinstance(token, str):
        return None
    challenge = db.session.scalar(
        select(SignInChallenge).where(SignInChallenge.token_hash == hash_token(token))
    )
    if challenge is None or challenge.finished_at is not None:
        return None
    if now() - challenge.created_at > timedelta(minutes=CHALLENGE_MINUTES):
        return None
    return challenge


def finish_challenge(challenge: SignInChallenge) -> bool:
    """Close the challenge; False if another request closed it first."""
    result = db.session.execute(
        update(SignInChallenge)
        .where(SignInChallenge.id == challenge.id, SignInChallenge.finished_at.is_(None))
        .values(finished_at=now())
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


@dataclass(frozen=True)
class CodeCheck:
    method: str | None = None  # "totp" or "recovery-code" when the code was right
    error: str | None = None
    start_again: bool = False  # the challenge is over: back to the password page


def check_code(user: StaffUser, code: str, *, ip_address: str | None) -> CodeCheck:
    """One code tried at the code step (or when confirming identity), counted on the
    account before it is checked."""
    minutes = setting("LOGIN_LOCKOUT_MINUTES", 15)
    at = now()
    db.session.expire(user, ["code_failures", "code_locked_until"])  # read them afresh
    if user.code_locked_until is not None and user.code_locked_until > at:
        return CodeCheck(error=CODES_LOCKED.format(minutes=minutes), start_again=True)
    tries = setting("LOGIN_MAX_FAILURES", 5)
    counted = db.session.execute(
        update(StaffUser)
        .where(StaffUser.id == user.id, StaffUser.code_failures < tries)
        .values(code_failures=StaffUser.code_failures + 1)
        .returning(StaffUser.code_failures)
        .execution_options(synchronize_session=False)
    ).scalar()
    if counted is not None:
        method = _take_totp(user, code) or _take_recovery_code(user, code)
        if method is not None:
            _set_counters(user, failures=0, locked_until=None)
            return CodeCheck(method=method)
    actor = f"staff:{user.id}"
    record("staff.two_factor_failed", actor=actor, school_id=user.school_id, ip=ip_address)
    if counted is None or counted >= tries:
        until = at + timedelta(minutes=minutes)
        _set_counters(user, failures=0, locked_until=until)
        record(
            "staff.two_factor_locked", actor=actor, school_id=user.school_id, ip=ip_address,
            until=until.isoformat(),
        )  # fmt: skip
        return CodeCheck(error=CODES_LOCKED.format(minutes=minutes), start_again=True)
    return CodeCheck(error=WRONG_CODE)


def _set_counters(user: StaffUser, *, failures: int, locked_until) -> None:
    db.session.execute(
        update(StaffUser)
        .where(StaffUser.id == user.id)
        .values(code_failures=failures, code_locked_until=locked_until)
        .execution_options(synchronize_session=False)
    )
    db.session.expire(user, ["code_failures", "code_locked_until"])


# --- codes ----------------------------------------------------------------------------------


def _step(at_timestamp: float) -> int:
    return int(at_timestamp // 30)


def matching_step(secret: str | None, code: str) -> int | None:
    """The time step (now, or one either side) whose code this is."""
    code = "".join(code.split())
    if not secret or not code.isdigit() or len(code) != 6:
        return None
    totp = pyotp.TOTP(secret)
    current = _step(now().timestamp())
    for step in (current, current - 1, current + 1):
        if secrets.compare_digest(totp.at(step * 30), code):
            return step
    return None


def _claim_step(user: StaffUser, step: int) -> bool:
    """Take this time step for the account; False if it (or a later one) was used."""
    result = db.session.execute(
        update(StaffUser)
        .where(
            StaffUser.id == user.id,
            or_(StaffUser.totp_last_step.is_(None), StaffUser.totp_last_step < step),
        )
        .values(totp_last_step=step)
        .execution_options(synchronize_session=False)
    )
    db.session.expire(user, ["totp_last_step"])
    return result.rowcount == 1


def _take_totp(user: StaffUser, code: str) -> str | None:
    step = matching_step(user.totp_secret, code) if user.two_factor_enabled else None
    return "totp" if step is not None and _claim_step(user, step) else None


def _take_recovery_code(user: StaffUser, code: str) -> str | None:
    normalised = normalise_recovery_code(code)
    if len(normalised) != 10:
        return None
    result = db.session.execute(
        update(RecoveryCode)
        .where(
            RecoveryCode.staff_id == user.id,
            RecoveryCode.code_hash == hash_token(normalised),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=now())
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return None
    record("staff.recovery_code_used", actor=f"staff:{user.id}", school_id=user.school_id)
    return "recovery-code"


def normalise_recovery_code(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())


# --- enrolment ------------------------------------------------------------------------------


def new_totp_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(user: StaffUser, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)


def enable_two_factor(user: StaffUser, secret: str, code: str) -> list[str] | None:
    """Turn two-factor on (or move it to a new phone) once the app shows a right code;
    returns fresh recovery codes, the old ones stop working."""
    step = matching_step(secret, code)
    if step is None:
        return None
    user.totp_secret = secret
    user.totp_confirmed_at = now()
    user.totp_last_step = step
    codes = [_new_recovery_code() for _ in range(RECOVERY_CODES)]
    user.recovery_codes = [
        RecoveryCode(code_hash=hash_token(normalise_recovery_code(c))) for c in codes
    ]
    db.session.flush()
    record("staff.two_factor_enabled", actor=f"staff:{user.id}", school_id=user.school_id)
    return codes


def _new_recovery_code() -> str:
    raw = "".join(secrets.choice("ABCDEFGHJKMNPQRSTVWXYZ23456789") for _ in range(10))
    return f"{raw[:5]}-{raw[5:]}"
