"""Council and academy calendars in the shapes they are really published in.

A calendar (iCalendar, or our CSV of kind,name,starts_on,ends_on) becomes a *plan*: terms
with their school-day counts and closures, which the office sees before anything is saved.

- Terms as spans ("Autumn Term 2026", 2 Sep – 18 Dec) with holidays and INSET days.
- One event per school day ("Term day", "School day") or numbered school days ("Day 1" …
  "Day 190"): the days are merged into terms; a gap of a week or less (a half term) stays
  inside the term as a closure, a longer one (Christmas, Easter, summer) ends it.
- Holidays only: the terms are the gaps inside each academic year (1 September to 31
  July), without weekends and England's bank holidays.
- INSET, training and "disaggregated" days are closures, never school days.

A plan with more than six terms in an academic year is refused: whatever a calendar says,
there is at most one round a term, and the database holds that too (rounds.TermRound).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import holidays
import icalendar

from parentlink.core.audit import record
from parentlink.schools.terms import TermDatesError, add_closure, add_term

CLOSURE_WORDS = re.compile(
    r"holiday|half[\s-]*term|inset|training|closed|closure|bank|disaggregated|"
    r"staff development|professional development|non[\s-]*pupil|pd day|occasional day",
    re.I,
)
STAFF_DAY = re.compile(
    r"inset|training|disaggregated|staff development|professional development|"
    r"non[\s-]*pupil|pd day",
    re.I,
)
SCHOOL_DAY = re.compile(r"^\s*(?:day\s*\d+|(?:term|school|pupil|teaching)\s*day)\b", re.I)
NUMBERED = re.compile(r"^\s*day\s*\d+\b", re.I)
TERM_WORDS = re.compile(r"\bterm\b", re.I)
MARKER = re.compile(r"\b(?:start|starts|begin|begins|first day|end|ends|last day)\b", re.I)
ENDS = re.compile(r"\b(?:end|ends|last day)\b", re.I)
HALF_TERM_LONGEST = 5  # weekdays (not INSET days): a longer gap between school days ends a term
MOST_TERMS_A_YEAR = 6


@dataclass(frozen=True)
class Event:
    name: str
    starts_on: date
    ends_on: date

    def days(self):
        day = self.starts_on
        while day <= self.ends_on:
            yield day
            day += timedelta(days=1)


@dataclass
class PlannedTerm:
    name: str
    starts_on: date
    ends_on: date
    school_days: int = 0


@dataclass
class Plan:
    shape: str
    terms: list[PlannedTerm] = field(default_factory=list)
    closures: list[Event] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def bank_holidays(years) -> holidays.HolidayBase:
    return holidays.country_holidays("GB", subdiv="ENG", years=sorted(set(years)))


def read_events(data: bytes, filename: str = "") -> tuple[list[Event], dict[str, str]]:
    """The events of an iCalendar file, or of our CSV (kind,name,starts_on,ends_on); the
    CSV's kinds say which are terms and which closures."""
    if filename.lower().endswith((".ics", ".ical")) or data.lstrip().startswith(b"BEGIN:VCALENDAR"):
        return _ical_events(data), {}
    return _csv_events(data)


def _ical_events(data: bytes) -> list[Event]:
    try:
        calendar = icalendar.Calendar.from_ical(data)
    except ValueError as exc:
        raise TermDatesError(f"not an iCalendar file: {exc}") from exc
    events = []
    for event in calendar.walk("VEVENT"):
        start = event.decoded("DTSTART")
        end = event.decoded("DTEND") if "DTEND" in event else None
        if isinstance(start, datetime):
            first, last = start.date(), end.date() if end else start.date()
        else:  # all-day events: DTEND is the day after the last day
            first, last = start, (end - timedelta(days=1)) if end else start
        events.append(Event(str(event.get("SUMMARY", "")).strip(), first, max(first, last)))
    return events


def _csv_events(data: bytes) -> tuple[list[Event], dict[str, str]]:
    try:
        reader = csv.DictReader(io.StringIO(data.decode("utf-8-sig")))
    except UnicodeDecodeError as exc:
        raise TermDatesError("the file is not UTF-8 text") from exc
    wanted = {"kind", "name", "starts_on", "ends_on"}
    if not wanted <= {(h or "").strip().lower() for h in reader.fieldnames or []}:
        raise TermDatesError("the header must be: kind,name,starts_on,ends_on")
    events, kinds = [], {}
    for number, raw in enumerate(reader, start=2):
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in raw.items()}
        if not any(row.values()):
            continue
        try:
            event = Event(
                row["name"],
                date.fromisoformat(row["starts_on"]),
                date.fromisoformat(row["ends_on"]),
            )
        except ValueError as exc:
            raise TermDatesError(f"row {number}: {exc}") from exc
        kind = row["kind"].lower()
        if kind not in {"term", "closure", "holiday"}:
            raise TermDatesError(f"row {number}: kind must be term or closure, not {row['kind']!r}")
        if event.ends_on < event.starts_on:
            raise TermDatesError(
                f"row {number}: {event.name} ends ({event.ends_on}) before it starts "
                f"({event.starts_on})"
            )
        kinds[f"{event.name}|{event.starts_on}"] = "term" if kind == "term" else "closure"
        if kind == "term":
            for other in events:
                is_term = kinds.get(f"{other.name}|{other.starts_on}") == "term"
                if (
                    is_term
                    and other.starts_on <= event.ends_on
                    and other.ends_on >= event.starts_on
                ):
                    raise TermDatesError(f"row {number}: {event.name} overlaps {other.name}")
        events.append(event)
    return events, kinds


def plan(events: list[Event], kinds: dict[str, str] | None = None) -> Plan:
    kinds = kinds or {}
    spans, school_days, closures, skipped = [], [], [], []
    for event in events:
        kind = kinds.get(f"{event.name}|{event.starts_on}")
        if kind == "closure" or (kind is None and CLOSURE_WORDS.search(event.name)):
            closures.append(event)
        elif kind is None and SCHOOL_DAY.search(event.name):
            school_days.append(event)
        elif kind == "term" or TERM_WORDS.search(event.name):
            spans.append(event)
        else:
            skipped.append(f"{event.name or '(no title)'} on {event.starts_on}")
    if spans:
        result = Plan("terms as spans", closures=closures, skipped=skipped)
        result.terms = _spans(spans)
    elif school_days:
        numbered = all(NUMBERED.search(e.name) for e in school_days)
        shape = "numbered school days" if numbered else "one event per school day"
        closed = {d for c in closures for d in c.days()}
        days = {d for e in school_days for d in e.days() if d.weekday() < 5} - closed
        result = Plan(shape, closures=closures, skipped=skipped)
        _terms_from_days(sorted(days), result)
    elif closures:
        result = Plan("holidays only", closures=closures, skipped=skipped)
        _terms_from_days(_days_between_holidays(closures), result)
    else:
        raise TermDatesError("no term, school day or holiday events found in the calendar")
    _count_school_days(result)
    _check(result)
    return result


def _spans(events: list[Event]) -> list[PlannedTerm]:
    """Terms given as spans, or as one-day "Autumn term starts" / "ends" markers paired."""
    markers = [e for e in events if e.starts_on == e.ends_on and MARKER.search(e.name)]
    terms = [PlannedTerm(e.name, e.starts_on, e.ends_on) for e in events if e not in markers]
    ends = sorted(e.starts_on for e in markers if ENDS.search(e.name))
    for start in sorted(e.starts_on for e in markers if not ENDS.search(e.name)):
        last = next((end for end in ends if end >= start), None)
        if last is None:
            raise TermDatesError(f"the term that starts on {start} has no end in the calendar")
        ends.remove(last)
        terms.append(PlannedTerm(_term_name(start), start, last))
    return sorted(terms, key=lambda t: t.starts_on)


def import_calendar(school_id: int, data: bytes, filename: str = "", *, actor: str) -> Plan:
    """Read, plan and save in one go (the command line; the office previews first)."""
    events, kinds = read_events(data, filename)
    result = plan(events, kinds)
    save(school_id, result, actor=actor)
    return result


def _days_between_holidays(closures: list[Event]) -> list[date]:
    """Every weekday of each academic year the holidays touch that is neither a holiday
    nor a bank holiday."""
    starts: dict[int, int] = {}  # academic year -> holidays starting in its teaching months
    for event in closures:
        year = event.starts_on.year if event.starts_on.month >= 8 else event.starts_on.year - 1
        if date(year, 9, 1) <= event.starts_on <= date(year + 1, 7, 31):
            starts[year] = starts.get(year, 0) + 1
    years = {year for year, n in starts.items() if n >= 2}  # not just last summer's end
    closed = {d for c in closures for d in c.days()}
    banks = bank_holidays(y for year in years for y in (year, year + 1))
    days = []
    for year in sorted(years):
        day, last = date(year, 9, 1), date(year + 1, 7, 31)
        while day <= last:
            if day.weekday() < 5 and day not in closed and day not in banks:
                days.append(day)
            day += timedelta(days=1)
    return days


def _terms_from_days(days: list[date], result: Plan) -> None:
    if not days:
        raise TermDatesError("the calendar leaves no school days")
    banks = bank_holidays(d.year for d in days)
    staff_days = {d for c in result.closures if STAFF_DAY.search(c.name) for d in c.days()}
    closed = list(result.closures)
    runs: list[list[date]] = [[days[0]]]
    for day in days[1:]:
        previous = runs[-1][-1]
        gap = [
            previous + timedelta(days=n)
            for n in range(1, (day - previous).days)
            if (previous + timedelta(days=n)).weekday() < 5
            and previous + timedelta(days=n) not in banks
        ]
        # An INSET day next to a half term does not make it a holiday between terms.
        if len([d for d in gap if d not in staff_days]) > HALF_TERM_LONGEST:
            runs.append([day])
            continue
        runs[-1].append(day)
        open_days = [d for d in gap if not any(c.starts_on <= d <= c.ends_on for c in closed)]
        if open_days:  # days the calendar leaves out inside a term: a half term
            name = "Half term" if len(open_days) >= 3 else "Closed"
            result.closures.append(Event(name, open_days[0], open_days[-1]))
    names: dict[str, int] = {}
    for run in runs:
        name = _term_name(run[0])
        names[name] = names.get(name, 0) + 1
        label = name if names[name] == 1 else f"{name} ({names[name]})"
        result.terms.append(PlannedTerm(label, run[0], run[-1]))


def _term_name(first: date) -> str:
    season = "Autumn" if first.month >= 8 else "Spring" if first.month <= 3 else "Summer"
    return f"{season} {first.year}"


def _count_school_days(result: Plan) -> None:
    banks = bank_holidays(y for t in result.terms for y in (t.starts_on.year, t.ends_on.year))
    closed = {d for c in result.closures for d in c.days()}
    for term in result.terms:
        day, count = term.starts_on, 0
        while day <= term.ends_on:
            count += day.weekday() < 5 and day not in banks and day not in closed
            day += timedelta(days=1)
        term.school_days = count


def _check(result: Plan) -> None:
    per_year: dict[int, int] = {}
    for term in result.terms:
        year = term.starts_on.year if term.starts_on.month >= 8 else term.starts_on.year - 1
        per_year[year] = per_year.get(year, 0) + 1
    for year, n in sorted(per_year.items()):
        if n > MOST_TERMS_A_YEAR:
            raise TermDatesError(
                f"the calendar gives {n} terms in {year}-{str(year + 1)[2:]}: a school year has "
                "three (or six half terms). Check the file, or enter the terms by hand"
            )


def save(school_id: int, result: Plan, *, actor: str) -> None:
    """Add the planned terms and closures (the caller's transaction: all or nothing)."""
    for term in result.terms:
        add_term(school_id, term.name[:60], term.starts_on, term.ends_on)
    for closure in result.closures:
        add_closure(school_id, (closure.name or "Closed")[:60], closure.starts_on, closure.ends_on)
    record(
        "terms.import",
        actor=actor,
        school_id=school_id,
        shape=result.shape,
        terms=len(result.terms),
        closures=len(result.closures),
        skipped=len(result.skipped),
    )
