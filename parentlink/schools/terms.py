"""Term dates and closures: entered one by one, or a standard year for the demo and tests.

Calendars as councils and trusts publish them are read in calendars.py.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from parentlink.db import db
from parentlink.schools.models import Closure, Term


class TermDatesError(ValueError):
    """Term dates that cannot be used, with the reason."""


def add_term(school_id: int, name: str, starts_on: date, ends_on: date) -> Term:
    _check_span(name, starts_on, ends_on)
    overlapping = db.session.scalar(
        select(Term.name).where(
            Term.school_id == school_id, Term.starts_on <= ends_on, Term.ends_on >= starts_on
        )
    )
    if overlapping:
        raise TermDatesError(f"{name} overlaps {overlapping}")
    term = Term(school_id=school_id, name=name, starts_on=starts_on, ends_on=ends_on)
    db.session.add(term)
    db.session.flush()
    return term


def add_closure(school_id: int, name: str, starts_on: date, ends_on: date) -> Closure:
    _check_span(name, starts_on, ends_on)
    closure = Closure(school_id=school_id, name=name, starts_on=starts_on, ends_on=ends_on)
    db.session.add(closure)
    db.session.flush()
    return closure


def _check_span(name: str, starts_on: date, ends_on: date) -> None:
    if not name.strip():
        raise TermDatesError("every term or closure needs a name")
    if ends_on < starts_on:
        raise TermDatesError(f"{name} ends ({ends_on}) before it starts ({starts_on})")
    if (ends_on - starts_on).days > 200:
        raise TermDatesError(f"{name} is longer than 200 days: check the dates")


def seed_standard_english_year(school_id: int, autumn_year: int) -> None:
    """A typical English school year: three terms, three half-terms, an INSET day.
    For the demo and tests; a real school enters or imports its own dates."""
    y, n = autumn_year, autumn_year + 1

    def first(weekday: int, after: date) -> date:
        return after + timedelta(days=(weekday - after.weekday()) % 7)

    autumn_start = first(2, date(y, 9, 1))  # a Wednesday at the start of September
    add_term(school_id, f"Autumn {y}", autumn_start, first(4, date(y, 12, 16)))
    add_term(school_id, f"Spring {n}", first(0, date(n, 1, 4)), first(4, date(n, 3, 26)))
    add_term(school_id, f"Summer {n}", first(0, date(n, 4, 12)), first(2, date(n, 7, 19)))
    half_terms = (
        (f"October half term {y}", first(0, date(y, 10, 24))),
        (f"February half term {n}", first(0, date(n, 2, 13))),
        (f"May half term {n}", first(0, date(n, 5, 25))),
    )
    for name, monday in half_terms:
        add_closure(school_id, name, monday, monday + timedelta(days=4))
    add_closure(school_id, f"INSET day {y}", autumn_start, autumn_start)
