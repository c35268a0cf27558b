"""Template filters: times are stored in UTC and shown in the school's own time."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Flask

LONDON = ZoneInfo("Europe/London")


def london_datetime(value: datetime | None) -> str:
    if value is None:
        return ""
    local = value.astimezone(LONDON)
    return local.strftime("%-d %B %Y at %H:%M")


def epoch_london(value: float | None) -> str:
    """APScheduler keeps next run times as POSIX timestamps."""
    if value is None:
        return ""
    return london_datetime(datetime.fromtimestamp(float(value), tz=LONDON))


class NameList(str):
    """'Amelia, Oscar and Ruby', remembering the names: a message in another language lists
    them its own way (parentlink.messaging.templates)."""

    names: tuple[str, ...]


def and_list(names) -> str:
    """['Amelia', 'Oscar', 'Ruby'] -> 'Amelia, Oscar and Ruby'."""
    names = list(names)
    if len(names) <= 1:
        text = NameList("".join(names))
    else:
        text = NameList(", ".join(names[:-1]) + " and " + names[-1])
    text.names = tuple(names)
    return text


def phone(value: str | None) -> str:
    """A UK mobile as people write it: +447700900123 -> 07700 900123 (others unchanged)."""
    if not value:
        return ""
    if value.startswith("+44") and len(value) == 13 and value[3:].isdigit():
        national = "0" + value[3:]
        return f"{national[:5]} {national[5:]}"
    return value


def sentence(value: str | None) -> str:
    """An error message as a sentence: its first letter in capitals and nothing else changed
    (Jinja's `capitalize` lowercases the rest: "Carer five", "clause id")."""
    text = str(value or "")
    return text[:1].upper() + text[1:]


def init_app(app: Flask) -> None:
    app.add_template_filter(sentence)
    app.add_template_filter(phone)
    app.add_template_filter(london_datetime)
    app.add_template_filter(and_list)
    app.add_template_filter(epoch_london)
