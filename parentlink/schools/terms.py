"""Term dates and closures: entered, imported from CSV or iCalendar, or a standard year.

Local authorities publish their term dates as iCalendar files: all-day events such as
"Autumn term", "October half term" or "INSET day". Events whose summary says holiday,
half term, INSET, training or closed become closures; other events that say "term" become
terms; anything else is reported and skipped. Every import is all-or-nothing.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import icalendar
from sqlalchemy import select

from parentlink.core.audit import record
from parentlink.db import db
from parentlink.schools.models import Closure, Term

_CLOSURE_WORDS = re.compile(r"holiday|half[\s-]*term|inset|training|closed|closure|bank", re.I)
_TERM_WORDS = re.compile(r"\bterm\b", re.I)


class TermDatesError(ValueError):
    """Term dates that cannot be used, with the reason."""


@dataclass
class TermsSummary:
    terms: int = 0
    closures: int = 0
    skipped: list[str] = field(default_factory=list)


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


def import_terms_csv(school_id: int, data: bytes, *, actor: str) -> TermsSummary:
    """CSV with the header kind,name,starts_on,ends_on (kind: term or closure; ISO dates)."""
    try:
        reader = csv.DictReader(io.StringIO(data.decode("utf-8-sig")))
    except UnicodeDecodeError as exc:
        raise TermDatesError("the file is not UTF-8 text") from exc
    wanted = {"kind", "name", "starts_on", "ends_on"}
    if not wanted <= {(h or "").strip().lower() for h in reader.fieldnames or []}:
        raise TermDatesError("the header must be: kind,name,starts_on,ends_on")
    summary = TermsSummary()
    for number, raw in enumerate(reader, start=2):
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in raw.items()}
        if not any(row.values()):
            continue
        try:
            starts_on = date.fromisoformat(row["starts_on"])
            ends_on = date.fromisoformat(row["ends_on"])
            kind = row["kind"].lower()
            if kind == "term":
                add_term(school_id, row["name"], starts_on, ends_on)
                summary.terms += 1
            elif kind in {"closure", "holiday"}:
                add_closure(school_id, row["name"], starts_on, ends_on)
                summary.closures += 1
            else:
                raise TermDatesError(f"kind must be term or closure, not {row['kind']!r}")
        except (TermDatesError, ValueError) as exc:
            raise TermDatesError(f"row {number}: {exc}") from exc
    record(
        "terms.import",
        actor=actor,
        school_id=school_id,
        terms=summary.terms,
        closures=summary.closures,
    )
    return summary


def import_terms_ical(school_id: int, data: bytes, *, actor: str) -> TermsSummary:
    try:
        calendar = icalendar.Calendar.from_ical(data)
    except ValueError as exc:
        raise TermDatesError(f"not an iCalendar file: {exc}") from exc
    summary = TermsSummary()
    for event in calendar.walk("VEVENT"):
        name = str(event.get("SUMMARY", "")).strip()
        starts_on, ends_on = _event_days(event)
        if _CLOSURE_WORDS.search(name):
            add_closure(school_id, name, starts_on, ends_on)
            summary.closures += 1
        elif _TERM_WORDS.search(name):
            add_term(school_id, name, starts_on, ends_on)
            summary.terms += 1
        else:
            summary.skipped.append(f"{name or '(no title)'} on {starts_on}")
    if not summary.terms and not summary.closures:
        raise TermDatesError("no term or holiday events found in the calendar")
    record(
        "terms.import",
        actor=actor,
        school_id=school_id,
        terms=summary.terms,
        closures=summary.closures,
        skipped=len(summary.skipped),
    )
    return summary


def _event_days(event) -> tuple[date, date]:
    start = event.decoded("DTSTART")
    end = event.decoded("DTEND") if "DTEND" in event else None
    if isinstance(start, datetime):
        start_day = start.date()
        end_day = end.date() if end else start_day
    else:  # all-day events: DTEND is the day after the last day
        start_day = start
        end_day = (end - timedelta(days=1)) if end else start
    return start_day, max(start_day, end_day)


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
