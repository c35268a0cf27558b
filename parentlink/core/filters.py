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


def init_app(app: Flask) -> None:
    app.add_template_filter(london_datetime)
