"""Quiet hours: SMS go out only inside each school's sending window, in its own time zone.

Outside the window SMS wait in the outbox (they are not dropped); email is not held back.
The window is local wall-clock time (default 08:00-20:00 Europe/London), so it follows
the clocks when they change in spring and autumn. A window whose start equals its end
means no quiet hours.
"""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import select

from parentlink.db import db
from parentlink.schools.models import School


def inside_window(at: datetime, start: time, end: time, timezone: str) -> bool:
    if start == end:
        return True
    local = at.astimezone(ZoneInfo(timezone)).time()
    if start < end:
        return start <= local < end
    return local >= start or local < end  # a window across midnight


def schools_in_window(at: datetime) -> list[int]:
    """The schools that may send SMS at `at` (schools are few: one short query)."""
    rows = db.session.execute(
        select(School.id, School.sending_window_start, School.sending_window_end, School.timezone)
    )
    return [row.id for row in rows if inside_window(at, *row[1:])]
