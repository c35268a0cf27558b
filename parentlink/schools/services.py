"""Use cases for schools."""

from __future__ import annotations

import re
from datetime import time

from sqlalchemy import select

from parentlink.core.audit import record
from parentlink.db import db
from parentlink.schools.models import School

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")


class SchoolError(ValueError):
    pass


def create_school(
    *,
    name: str,
    short_name: str,
    slug: str,
    office_phone: str | None = None,
    office_email: str | None = None,
) -> School:
    name, short_name = name.strip(), short_name.strip()
    if not name or not short_name:
        raise SchoolError("a school needs a name and a short name")
    if not SLUG.match(slug):
        raise SchoolError("the slug is lowercase letters, digits and dashes, e.g. coates-lane")
    if db.session.scalar(select(School.id).where(School.slug == slug)) is not None:
        raise SchoolError(f"a school with slug {slug!r} already exists")
    school = School(
        name=name,
        short_name=short_name,
        slug=slug,
        office_phone=office_phone,
        office_email=office_email,
    )
    db.session.add(school)
    db.session.flush()
    record("school.create", actor="cli", school_id=school.id, subject=f"school:{school.id}")
    return school


def update_settings(school: School, *, actor: str, **changes: object) -> list[str]:
    """Change school settings after checking every value; returns what changed.
    Nothing changes if any value is refused."""
    from parentlink.messaging.addresses import AddressError, normalise_email, normalise_mobile

    clean: dict[str, object] = {}
    try:
        for name, value in changes.items():
            if value is None:
                continue
            if name == "office_email":
                clean[name] = normalise_email(str(value))
            elif name == "dsl_alert_mobile":
                clean[name] = normalise_mobile(str(value)) if value else None
            elif name == "escalation_emails":
                emails = [normalise_email(e) for e in str(value).split(",") if e.strip()]
                clean[name] = ", ".join(emails) or None
            elif name in {
                "round_school_day",
                "round_notice_days",
                "round_open_days",
                "concern_escalation_school_days",
            }:
                number = int(value)
                if not 0 < number <= 60:
                    raise SchoolError(f"{name.replace('_', ' ')} must be between 1 and 60")
                clean[name] = number
            else:
                raise SchoolError(f"unknown setting {name}")
    except AddressError as exc:
        raise SchoolError(str(exc)) from exc
    for name, value in clean.items():
        setattr(school, name, value)
    if clean:
        record(
            "school.settings",
            actor=actor,
            school_id=school.id,
            subject=f"school:{school.id}",
            changed=sorted(clean),
        )
    return sorted(clean)


def set_sending_window(school: School, start: time, end: time, *, actor: str) -> None:
    """When SMS may go out, in the school's local time; start == end: any time of day."""
    school.sending_window_start, school.sending_window_end = start, end
    record(
        "school.sending_window",
        actor=actor,
        school_id=school.id,
        subject=f"school:{school.id}",
        window=f"{start:%H:%M}-{end:%H:%M}",
    )
