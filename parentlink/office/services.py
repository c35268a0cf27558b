"""Use cases for staff accounts."""

from __future__ import annotations

from sqlalchemy import func, select

from parentlink.core.audit import record
from parentlink.db import db
from parentlink.messaging.addresses import AddressError, normalise_email
from parentlink.office.models import Role, StaffUser


class StaffError(ValueError):
    pass


def create_staff(
    school_id: int, *, email: str, name: str, role: str, password: str, actor: str
) -> StaffUser:
    try:
        email = normalise_email(email)
    except AddressError as exc:
        raise StaffError(str(exc)) from exc
    if not name.strip():
        raise StaffError("a staff account needs a name")
    taken = db.session.scalar(
        select(StaffUser.id).where(func.lower(StaffUser.email) == email.lower())
    )
    if taken is not None:
        raise StaffError(f"{email} already has an account")
    user = StaffUser(school_id=school_id, email=email, name=name.strip(), role=Role(role))
    try:
        user.set_password(password)
    except ValueError as exc:
        raise StaffError(str(exc)) from exc
    db.session.add(user)
    db.session.flush()
    record("staff.create", actor=actor, school_id=school_id, subject=f"staff:{user.id}", role=role)
    return user
