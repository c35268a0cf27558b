"""Staff accounts: argon2-hashed passwords and a role each."""

from __future__ import annotations

import contextlib
import enum
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask_login import UserMixin
from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from parentlink.core.clock import now
from parentlink.db import db

_hasher = PasswordHasher()
MIN_PASSWORD_LENGTH = 12


class Role(enum.Enum):
    ADMIN = "admin"
    OFFICE = "office"
    DSL = "dsl"
    VIEWER = "viewer"


class StaffUser(UserMixin, db.Model):
    __tablename__ = "staff_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    mobile: Mapped[str | None] = mapped_column(String(20))  # E.164, for "send a test SMS to me"
    role: Mapped[Role] = mapped_column(default=Role.OFFICE)
    password_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=now)
    last_login_at: Mapped[datetime | None]
    # Two-factor sign-in (TOTP). The secret is set at enrolment, in use once confirmed.
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_confirmed_at: Mapped[datetime | None]
    totp_last_step: Mapped[int | None]  # a code's time step is accepted once only
    # Wrong codes at the two-factor step, counted per account (not per browser): five in a
    # row close the code step for a while (LOGIN_LOCKOUT_MINUTES).
    code_failures: Mapped[int] = mapped_column(default=0, server_default="0")
    code_locked_until: Mapped[datetime | None]
    # Each staff session carries the version it began with; raising the version ends every
    # session of the account at its next request (logout, new password, role change,
    # deactivation, two-factor reset).
    session_version: Mapped[int] = mapped_column(default=0, server_default="0")
    # A one-time link to choose a password (new accounts); only its SHA-256 is stored.
    setup_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    setup_expires_at: Mapped[datetime | None]

    recovery_codes: Mapped[list[RecoveryCode]] = relationship(
        back_populates="staff", cascade="all, delete-orphan"
    )

    @property
    def two_factor_enabled(self) -> bool:
        return self.totp_confirmed_at is not None

    @property
    def is_active(self) -> bool:  # Flask-Login
        return self.active

    def set_password(self, password: str) -> None:
        if len(password) < MIN_PASSWORD_LENGTH:
            raise ValueError(f"A password needs at least {MIN_PASSWORD_LENGTH} characters.")
        self.password_hash = _hasher.hash(password)

    def check_password(self, password: str) -> bool:
        """Whether `password` is this account's; an inactive account, or one without a
        password yet (invited), spends the same time and says no."""
        if not self.active or not self.password_hash.startswith("$argon2"):
            dummy_password_check(password)
            return False
        try:
            _hasher.verify(self.password_hash, password)
        except (VerificationError, InvalidHashError):
            return False
        if _hasher.check_needs_rehash(self.password_hash):
            self.password_hash = _hasher.hash(password)
        return True


class RecoveryCode(db.Model):
    """A one-time code for when the phone is lost; only its SHA-256 is stored."""

    __tablename__ = "staff_recovery_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(
        ForeignKey("staff_user.id", ondelete="CASCADE"), index=True
    )
    code_hash: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[datetime | None]

    staff: Mapped[StaffUser] = relationship(back_populates="recovery_codes")


class LoginAttempt(db.Model):
    """Each password attempt, for throttling by address and by (email, address); shared by
    every web worker. Kept for typed emails too, known or not, so the answer never says
    whether an account exists."""

    __tablename__ = "staff_login_attempt"
    __table_args__ = (
        Index("ix_staff_login_attempt_ip_address_at", "ip_address", "at"),
        Index("ix_staff_login_attempt_email_at", "email", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=now)
    ip_address: Mapped[str] = mapped_column(String(45))
    email: Mapped[str] = mapped_column(String(254))
    succeeded: Mapped[bool] = mapped_column(default=False)


class SignInChallenge(db.Model):
    """The half-signed-in state between a right password and a right code: one row, named
    by a random token in the session cookie (only its SHA-256 here), open for a few minutes
    and finished once."""

    __tablename__ = "staff_sign_in_challenge"

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(
        ForeignKey("staff_user.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=now)
    finished_at: Mapped[datetime | None]


def dummy_password_check(password: str) -> None:
    """Spend the same time as a real check, so a login cannot tell which emails exist."""
    with contextlib.suppress(VerificationError, InvalidHashError):
        _hasher.verify(_DUMMY_HASH, password)


_DUMMY_HASH = _hasher.hash("not-a-real-password-just-timing")
