"""School days and the sending window: when the school may be asked to chase anyone.

A school day is a weekday inside one of the school's terms that is not a closure (half-term,
INSET day) and not a bank holiday in England. Until a school enters its term dates, every
weekday that is not a bank holiday counts, so chasing and alerts still work. Times are the
school's own (Europe/London by default), so the window stays 08:00-20:00 local across the
clock changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo

import holidays
from sqlalchemy import select

from parentlink.db import db
from parentlink.schools.models import Closure, School, Term


@dataclass(frozen=True)
class Span:
    name: str
    starts_on: date
    ends_on: date

    def __contains__(self, day: date) -> bool:
        return self.starts_on <= day <= self.ends_on


class SchoolCalendar:
    def __init__(self, school: School) -> None:
        self.school = school
        self.zone = ZoneInfo(school.timezone)

    def _spans(self, model: type[Term] | type[Closure]) -> list[Span]:
        rows = db.session.execute(
            select(model.name, model.starts_on, model.ends_on)
            .where(model.school_id == self.school.id)
            .order_by(model.starts_on)
        )
        return [Span(*row) for row in rows]

    @cached_property
    def terms(self) -> list[Span]:
        return self._spans(Term)

    @cached_property
    def closures(self) -> list[Span]:
        return self._spans(Closure)

    @cached_property
    def bank_holidays(self) -> holidays.HolidayBase:
        return holidays.country_holidays("GB", subdiv="ENG")

    def local(self, moment: datetime) -> datetime:
        return moment.astimezone(self.zone)

    def term_of(self, day: date) -> Span | None:
        return next((term for term in self.terms if day in term), None)

    def closure_on(self, day: date) -> str | None:
        if day.weekday() >= 5:
            return "weekend"
        if day in self.bank_holidays:
            return self.bank_holidays.get(day)
        closure = next((c for c in self.closures if day in c), None)
        if closure is not None:
            return closure.name
        if self.terms and self.term_of(day) is None:
            return "school holiday"  # with no term dates entered, any weekday is a school day
        return None

    def is_school_day(self, day: date) -> bool:
        return self.closure_on(day) is None

    def school_days_between(self, first: date, last: date) -> int:
        """How many school days from first to last, both included."""
        count, day = 0, first
        while day <= last:
            count += self.is_school_day(day)
            day += timedelta(days=1)
        return count

    def add_school_days(self, day: date, n: int) -> date:
        """The nth school day after `day` (n >= 1)."""
        for _ in range(n * 200):
            if n <= 0:
                return day
            day += timedelta(days=1)
            n -= self.is_school_day(day)
        if n <= 0:
            return day
        raise ValueError("not enough school days ahead: check the term dates")

    def in_sending_window(self, moment: datetime) -> bool:
        local = self.local(moment)
        start, end = self.school.sending_window_start, self.school.sending_window_end
        if start == end:  # a window that starts where it ends: any hour
            return True
        return start <= local.time().replace(tzinfo=None) < end

    def may_chase_at(self, moment: datetime) -> bool:
        """Inside the sending window on a school day, in the school's own time."""
        return self.in_sending_window(moment) and self.is_school_day(self.local(moment).date())

    def next_sending_time(self, moment: datetime) -> datetime:
        """The first moment at or after `moment` when chasing is allowed."""
        local = self.local(moment)
        day = local.date()
        for _ in range(400):
            opens = datetime.combine(day, self.school.sending_window_start, self.zone)
            closes = datetime.combine(day, self.school.sending_window_end, self.zone)
            if self.is_school_day(day) and local < closes:
                return max(local, opens).astimezone(moment.tzinfo)
            day += timedelta(days=1)
        raise ValueError("no school day in the next 400 days: are the term dates entered?")
