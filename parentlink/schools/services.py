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
    Nothing changes if any value is refused. None leaves a setting as it is; "" clears an
    optional one. The audit event holds each change as [old, new]."""
    clean: dict[str, object] = {}
    for name, value in changes.items():
        if value is None:
            continue
        clean[name] = _clean_setting(name, value)
    changed = {
        name: [getattr(school, name), value]
        for name, value in clean.items()
        if getattr(school, name) != value
    }
    for name, (_old, value) in changed.items():
        setattr(school, name, value)
    if changed:
        record(
            "school.settings",
            actor=actor,
            school_id=school.id,
            subject=f"school:{school.id}",
            changed=sorted(changed),
            changes=changed,
        )
    return sorted(changed)


_DAYS = {"round_school_day", "round_notice_days", "round_open_days"}
_DAYS.add("concern_escalation_school_days")


def _clean_setting(name: str, value: object) -> object:
    from parentlink.messaging.addresses import AddressError, normalise_email, normalise_mobile
    from parentlink.schools.sending import (
        SendingSettingError,
        clean_allowance,
        clean_price_pence,
        clean_sender,
    )

    text = str(value).strip() if not isinstance(value, bool) else ""
    try:
        if name in {"name", "short_name"}:
            limit = 200 if name == "name" else 60
            if not text:
                raise SchoolError(f"the school's {name.replace('_', ' ')} cannot be empty")
            if len(text) > limit:
                raise SchoolError(
                    f"the {name.replace('_', ' ')} can have at most {limit} characters"
                )
            return text
        if name == "office_phone":
            return _clean_phone(text) if text else None
        if name == "office_email":
            return normalise_email(text) if text else None
        if name == "dsl_alert_mobile":
            return normalise_mobile(text) if text else None
        if name == "escalation_emails":
            emails = [normalise_email(e) for e in text.split(",") if e.strip()]
            joined = ", ".join(emails)
            if len(joined) > 500:
                raise SchoolError("the escalation emails are too long (500 characters at most)")
            return joined or None
        if name == "sms_sender":
            return clean_sender(text)
        if name == "sms_price_pence":
            return clean_price_pence(text)
        if name == "notify_price_pence":
            return clean_price_pence(text, "the GOV.UK Notify price per text message")
        if name == "notify_free_allowance":
            return clean_allowance(text)
        if name == "allow_international_mobiles":
            return bool(value)
        if name == "phase":
            from parentlink.schools.models import Phase

            phases = {p.value: p for p in Phase}
            if text not in phases:
                raise SchoolError("the phase must be primary, secondary or all-through")
            return phases[text]
        if name == "sms_segment_limit":
            number = _whole_number(name, value)
            if not 1 <= number <= 10:
                raise SchoolError("the segment limit must be between 1 and 10")
            return number
        if name in _DAYS:
            number = _whole_number(name, value)
            if not 0 < number <= 60:
                raise SchoolError(f"{name.replace('_', ' ')} must be between 1 and 60")
            return number
    except (AddressError, SendingSettingError) as exc:
        raise SchoolError(str(exc)) from exc
    raise SchoolError(f"unknown setting {name}")


def _whole_number(name: str, value: object) -> int:
    try:
        return int(str(value).strip())
    except ValueError:
        raise SchoolError(f"{name.replace('_', ' ')} must be a whole number") from None


def _clean_phone(text: str) -> str:
    """Any UK phone number the office answers (a landline is fine), as people write it."""
    import phonenumbers

    try:
        number = phonenumbers.parse(text, "GB")
    except phonenumbers.NumberParseException:
        raise SchoolError(f"{text!r} is not a phone number") from None
    fictional = number.country_code == 44 and str(number.national_number).startswith(
        ("1632960", "7700900", "2079460")
    )  # Ofcom's drama ranges, for demos and tests
    if not (fictional or phonenumbers.is_valid_number(number)):
        raise SchoolError(f"{text!r} is not a valid phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)


def set_sending_window(school: School, start: time, end: time, *, actor: str) -> None:
    """When SMS may go out, in the school's local time; start == end: any time of day."""
    old = f"{school.sending_window_start:%H:%M}-{school.sending_window_end:%H:%M}"
    school.sending_window_start, school.sending_window_end = start, end
    record(
        "school.sending_window",
        actor=actor,
        school_id=school.id,
        subject=f"school:{school.id}",
        window=f"{start:%H:%M}-{end:%H:%M}",
        old=old,
    )
