"""An administrator manages the school's staff accounts: invite, change role, reset
two-factor, deactivate and reactivate. The last active administrator can never demote or
deactivate themselves (the school would be locked out of its own settings).

A new account has no password: the colleague chooses one through a one-time link
(`/office/set-up/<token>`, 72 hours) that goes out by email through the outbox and is
shown once to the administrator, to pass on by hand if the email does not arrive. Only
the link's SHA-256 is stored; the outbox keeps the token only until the email is accepted.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from flask import current_app
from sqlalchemy import func, select

from parentlink.core.audit import record
from parentlink.core.clock import now
from parentlink.core.tokens import hash_token
from parentlink.db import db
from parentlink.directory.models import Channel
from parentlink.messaging.addresses import AddressError, normalise_email
from parentlink.messaging.models import LINK_PLACEHOLDER, MessageKind
from parentlink.messaging.outbox import enqueue, render
from parentlink.office.auth import locked_addresses
from parentlink.office.models import Role, StaffUser
from parentlink.office.services import StaffError
from parentlink.office.session import end_every_session
from parentlink.schools.models import School

SETUP_HOURS = 72
NO_PASSWORD = "!"  # not an argon2 hash: no password can match it  # noqa: S105


def setup_link(token: str) -> str:
    return f"{current_app.config['PUBLIC_URL']}/office/set-up/{token}"


def invite_staff(
    school: School, *, email: str, name: str, role: str, admin: StaffUser
) -> tuple[StaffUser, str]:
    """A new account with a one-time set-up link; returns it and the link (shown once)."""
    try:
        email = normalise_email(email)
    except AddressError as exc:
        raise StaffError(str(exc)) from exc
    name = name.strip()
    if not name:
        raise StaffError("give the colleague's name")
    if role not in {r.value for r in Role}:
        raise StaffError("choose a role")
    taken = db.session.scalar(
        select(StaffUser.id).where(func.lower(StaffUser.email) == email.lower())
    )
    if taken is not None:
        raise StaffError(f"{email} already has an account")
    user = StaffUser(
        school_id=school.id,
        email=email,
        name=name[:200],
        role=Role(role),
        password_hash=NO_PASSWORD,
    )
    db.session.add(user)
    db.session.flush()
    token = _new_setup_token(user)
    rendered = render(
        MessageKind.STAFF_INVITE,
        Channel.EMAIL,
        school=school,
        staff=user_view(user),
        link=LINK_PLACEHOLDER,
        valid_hours=SETUP_HOURS,
    )
    enqueue(
        school_id=school.id,
        kind=MessageKind.STAFF_INVITE,
        channel=Channel.EMAIL,
        rendered=rendered,
        to=email,
        link_token=token,
    )
    record(
        "staff.invite",
        actor=f"staff:{admin.id}",
        school_id=school.id,
        subject=f"staff:{user.id}",
        email=email,
        role=role,
    )
    return user, setup_link(token)


def new_setup_link(user: StaffUser, *, admin: StaffUser) -> str:
    """A fresh one-time link (the old one stops working), e.g. for a forgotten password."""
    token = _new_setup_token(user)
    record(
        "staff.setup_link", actor=f"staff:{admin.id}", school_id=user.school_id,
        subject=f"staff:{user.id}",
    )  # fmt: skip
    return setup_link(token)


def _new_setup_token(user: StaffUser) -> str:
    token = secrets.token_urlsafe(16)
    user.setup_token_hash = hash_token(token)
    user.setup_expires_at = now() + timedelta(hours=SETUP_HOURS)
    return token


def user_for_setup(token: str) -> StaffUser | None:
    """The active account this set-up link is for, if it is still valid."""
    if not token or len(token) > 64:
        return None
    user = db.session.scalar(
        select(StaffUser).where(StaffUser.setup_token_hash == hash_token(token))
    )
    if user is None or not user.active or user.setup_expires_at is None:
        return None
    if user.setup_expires_at <= now():
        return None
    return user


def choose_password(user: StaffUser, password: str, repeated: str) -> None:
    if password != repeated:
        raise StaffError("the two passwords are not the same")
    try:
        user.set_password(password)
    except ValueError as exc:
        raise StaffError(str(exc)) from exc
    user.setup_token_hash = None
    user.setup_expires_at = None
    record("staff.password_set", actor=f"staff:{user.id}", school_id=user.school_id)


def change_password(user: StaffUser, password: str, repeated: str) -> None:
    """A signed-in colleague's new password (the caller checked the current one)."""
    if password != repeated:
        raise StaffError("the two new passwords are not the same")
    try:
        user.set_password(password)
    except ValueError as exc:
        raise StaffError(str(exc)) from exc
    record("staff.password_changed", actor=f"staff:{user.id}", school_id=user.school_id)


def _active_admins(school_id: int) -> int:
    return db.session.scalar(
        select(func.count(StaffUser.id)).where(
            StaffUser.school_id == school_id,
            StaffUser.role == Role.ADMIN,
            StaffUser.active.is_(True),
        )
    )


def _keeps_an_admin(user: StaffUser) -> None:
    if user.role is Role.ADMIN and user.active and _active_admins(user.school_id) <= 1:
        raise StaffError(
            f"{user.name} is the only administrator: make someone else an administrator first"
        )


def change_role(user: StaffUser, role: str, *, admin: StaffUser) -> None:
    if role not in {r.value for r in Role}:
        raise StaffError("choose a role")
    new = Role(role)
    if new is user.role:
        return
    if new is not Role.ADMIN:
        _keeps_an_admin(user)
    old = user.role
    user.role = new
    end_every_session(user, "role changed")
    record(
        "staff.role", actor=f"staff:{admin.id}", school_id=user.school_id,
        subject=f"staff:{user.id}", old=old.value, new=new.value,
    )  # fmt: skip


def reset_two_factor(user: StaffUser, *, admin: StaffUser) -> None:
    """For a lost phone: their sessions end; they enrol again at their next sign-in
    (required for administrators and DSLs)."""
    if not user.two_factor_enabled and user.totp_secret is None:
        raise StaffError(f"{user.name} has not set up two-factor sign-in")
    user.totp_secret = None
    user.totp_confirmed_at = None
    user.totp_last_step = None
    user.recovery_codes = []
    end_every_session(user, "two-factor reset")
    record(
        "staff.two_factor_reset", actor=f"staff:{admin.id}", school_id=user.school_id,
        subject=f"staff:{user.id}",
    )  # fmt: skip


def set_active(user: StaffUser, active: bool, *, admin: StaffUser) -> None:
    """Deactivate (they cannot sign in; sessions end at their next request) or reactivate."""
    if active == user.active:
        return
    if not active:
        _keeps_an_admin(user)
        end_every_session(user, "deactivated")
        user.setup_token_hash = None
        user.setup_expires_at = None
    user.active = active
    record(
        "staff.reactivate" if active else "staff.deactivate",
        actor=f"staff:{admin.id}", school_id=user.school_id, subject=f"staff:{user.id}",
    )  # fmt: skip


def is_locked(user: StaffUser) -> bool:
    """Wrong passwords have locked this account from some address, or wrong codes have
    closed its code step (an administrator can unlock it)."""
    locked_codes = user.code_locked_until is not None and user.code_locked_until > now()
    return locked_codes or locked_addresses(user) > 0


def staff_page(school_id: int, *, page: int, per_page: int = 50):
    from parentlink.office.queries import Page

    query = select(StaffUser).where(StaffUser.school_id == school_id)
    total = db.session.scalar(
        select(func.count(StaffUser.id)).where(StaffUser.school_id == school_id)
    )
    rows = db.session.scalars(
        query.order_by(StaffUser.active.desc(), func.lower(StaffUser.name), StaffUser.id)
        .limit(per_page)
        .offset((max(page, 1) - 1) * per_page)
    ).all()
    return Page(list(rows), page, total, per_page)


def user_view(user: StaffUser):
    from types import SimpleNamespace

    return SimpleNamespace(first_name=user.name.split()[0] if user.name.split() else user.name)


def set_own_mobile(user: StaffUser, raw: str) -> None:
    """The staff member's own mobile, for test messages; "" removes it."""
    from parentlink.messaging.addresses import normalise_mobile

    text = (raw or "").strip()
    old = user.mobile
    try:
        user.mobile = normalise_mobile(text, allow_international=True) if text else None
    except AddressError as exc:
        raise StaffError(str(exc)) from exc
    if old != user.mobile:
        record(
            "staff.mobile", actor=f"staff:{user.id}", school_id=user.school_id,
            subject=f"staff:{user.id}", old=old, new=user.mobile,
        )  # fmt: skip
