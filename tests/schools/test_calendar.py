"""School days and the sending window, in the school's own time."""

from __future__ import annotations

from datetime import UTC, date, datetime

import icalendar
import pytest

from parentlink.db import db
from parentlink.schools.calendar import SchoolCalendar
from parentlink.schools.calendars import import_calendar
from parentlink.schools.models import Closure, Term
from parentlink.schools.terms import TermDatesError, seed_standard_english_year
from tests import builders


@pytest.fixture
def calendar(ctx):
    school = builders.school()
    seed_standard_english_year(school.id, 2026)
    return SchoolCalendar(school)


@pytest.mark.parametrize(
    ("day", "why"),
    [
        (date(2026, 9, 12), "weekend"),  # a Saturday in term
        (date(2026, 10, 27), "October half term 2026"),
        (date(2026, 12, 25), "Christmas Day"),
        (date(2026, 12, 28), "Boxing Day (observed)"),  # the substitute bank holiday
        (date(2026, 8, 20), "school holiday"),  # summer holiday
        (date(2026, 9, 2), "INSET day 2026"),  # first day of term: staff only
    ],
)
def test_days_that_are_not_school_days_say_why(calendar, day, why):
    assert not calendar.is_school_day(day)
    assert why.lower() in calendar.closure_on(day).lower()


def test_ordinary_term_days_are_school_days(calendar):
    assert calendar.is_school_day(date(2026, 9, 14))  # a Monday in September
    assert calendar.is_school_day(date(2027, 2, 12))  # the Friday before February half term
    # Friday 23 Oct 2026 -> the next school day is Monday 2 November, after half term.
    assert calendar.add_school_days(date(2026, 10, 23), 1) == date(2026, 11, 2)
    assert calendar.school_days_between(date(2026, 10, 19), date(2026, 11, 6)) == 10


@pytest.mark.parametrize(
    ("utc", "inside"),
    [
        (datetime(2026, 10, 23, 7, 30, tzinfo=UTC), True),  # 08:30 BST, a Friday
        (datetime(2026, 11, 2, 7, 30, tzinfo=UTC), False),  # 07:30 GMT after the clocks went back
        (datetime(2026, 11, 2, 8, 0, tzinfo=UTC), True),  # 08:00 GMT
        (datetime(2026, 11, 2, 19, 59, tzinfo=UTC), True),
        (datetime(2026, 11, 2, 20, 0, tzinfo=UTC), False),  # 20:00: the window has closed
        (datetime(2027, 3, 29, 18, 30, tzinfo=UTC), True),  # 19:30 BST after the spring change
        (datetime(2027, 3, 29, 19, 0, tzinfo=UTC), False),  # 20:00 BST
    ],
)
def test_the_sending_window_follows_the_clock_changes(calendar, utc, inside):
    assert calendar.in_sending_window(utc) is inside


def test_the_next_sending_time_skips_nights_weekends_and_half_term(calendar):
    friday_night = datetime(2026, 10, 23, 21, 0, tzinfo=UTC)  # 22:00 BST before half term
    assert calendar.next_sending_time(friday_night) == datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
    tuesday_morning = datetime(2026, 9, 15, 5, 0, tzinfo=UTC)  # 06:00 BST
    assert calendar.next_sending_time(tuesday_morning) == datetime(2026, 9, 15, 7, 0, tzinfo=UTC)
    during = datetime(2026, 9, 15, 12, 0, tzinfo=UTC)
    assert calendar.next_sending_time(during) == during
    assert calendar.may_chase_at(during) and not calendar.may_chase_at(friday_night)


def test_term_dates_from_a_local_authority_calendar(ctx):
    school = builders.school()
    cal = icalendar.Calendar()
    for summary, start, end in [
        ("Autumn Term 2026", date(2026, 9, 2), date(2026, 12, 19)),
        ("October Half Term", date(2026, 10, 26), date(2026, 10, 31)),
        ("Christmas holiday", date(2026, 12, 21), date(2027, 1, 2)),
        ("Year 6 SATs week", date(2027, 5, 10), date(2027, 5, 15)),
    ]:
        event = icalendar.Event()
        event.add("summary", summary)
        event.add("dtstart", start)
        event.add("dtend", end)  # all-day: the day after the last day
        cal.add_component(event)
    summary = import_calendar(school.id, cal.to_ical(), "la.ics", actor="test")
    assert (len(summary.terms), len(summary.closures)) == (1, 2)
    assert summary.skipped == ["Year 6 SATs week on 2027-05-10"]
    term = db.session.query(Term).one()
    assert (term.starts_on, term.ends_on) == (date(2026, 9, 2), date(2026, 12, 18))
    half_term = db.session.query(Closure).filter_by(name="October Half Term").one()
    assert half_term.ends_on == date(2026, 10, 30)


def test_term_dates_from_a_csv_are_all_or_nothing(ctx):
    school = builders.school()
    good = b"kind,name,starts_on,ends_on\nterm,Autumn 2026,2026-09-02,2026-12-18\n"
    assert len(import_calendar(school.id, good, "terms.csv", actor="test").terms) == 1
    db.session.commit()
    bad = (
        b"kind,name,starts_on,ends_on\n"
        b"term,Spring 2027,2027-01-04,2027-03-26\n"
        b"closure,Half term,2027-02-19,2027-02-15\n"
    )
    with pytest.raises(TermDatesError, match="row 3: Half term ends"):
        import_calendar(school.id, bad, "terms.csv", actor="test")
    db.session.rollback()
    assert db.session.query(Term).count() == 1
    for broken, message in [
        (b"name,starts_on\nx,2026-01-01\n", "header"),
        (b"kind,name,starts_on,ends_on\nterm,X,02/09/2026,2026-12-18\n", "row 2"),
        (b"kind,name,starts_on,ends_on\nterm,Overlap,2026-12-01,2026-12-20\n", "overlaps"),
        (b"\xff\xfe", "UTF-8"),
    ]:
        with pytest.raises(TermDatesError, match=message):
            import_calendar(school.id, broken, "terms.csv", actor="test")
        db.session.rollback()
    with pytest.raises(TermDatesError, match="not an iCalendar"):
        import_calendar(school.id, b"this is not a calendar", "la.ics", actor="test")


def test_with_no_term_dates_yet_every_weekday_but_bank_holidays_counts(ctx):
    calendar = SchoolCalendar(builders.school())
    assert calendar.is_school_day(date(2026, 8, 20))  # a Thursday in the summer
    assert not calendar.is_school_day(date(2026, 8, 22))  # Saturday
    assert not calendar.is_school_day(date(2026, 8, 31))  # summer bank holiday
    assert calendar.add_school_days(date(2026, 8, 28), 1) == date(2026, 9, 1)
