"""Council and academy calendars in every shape they are published in give the same terms,
with their school days, and at most one round a term.

The dates are two real English councils' published term dates:
- Suffolk County Council, 2026-27 (as reproduced on a Suffolk primary school's term-dates
  page, with its non-pupil days): autumn 1 Sep - 18 Dec 2026, spring 4 Jan - 25 Mar 2027,
  summer 12 Apr - 21 Jul 2027.
- Solihull Metropolitan Borough Council, 2024-25 (solihull.gov.uk, "School term dates"):
  autumn 2 Sep - 20 Dec 2024, spring 6 Jan - 11 Apr 2025, summer 28 Apr - 21 Jul 2025.
The calendar files are generated here in each shape; no council's file is copied."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import icalendar
import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from jobs import runner
from parentlink.agreements.services import COATES_LANE_POLICY, load_version, publish
from parentlink.campaigns.models import AudienceKind, Campaign
from parentlink.campaigns.rounds import RoundReason, TermRound
from parentlink.db import db
from parentlink.directory.importer import import_families
from parentlink.schools import calendars
from parentlink.schools.models import Term
from parentlink.schools.terms import TermDatesError
from tests import builders
from tests.builders import family_row

D = date
COUNCILS = {
    "suffolk-2026-27": {
        "terms": [
            ("Autumn term 2026", D(2026, 9, 1), D(2026, 12, 18)),
            ("Spring term 2027", D(2027, 1, 4), D(2027, 3, 25)),
            ("Summer term 2027", D(2027, 4, 12), D(2027, 7, 21)),
        ],
        "half_terms": [
            (D(2026, 10, 26), D(2026, 10, 30)),
            (D(2027, 2, 15), D(2027, 2, 19)),
            (D(2027, 5, 31), D(2027, 6, 4)),
        ],
        "holidays": [
            ("Summer holiday", D(2026, 7, 23), D(2026, 8, 31)),
            ("Christmas holiday", D(2026, 12, 21), D(2027, 1, 1)),
            ("Easter holiday", D(2027, 3, 26), D(2027, 4, 9)),
            ("Summer holiday", D(2027, 7, 22), D(2027, 8, 31)),
        ],
        "staff_days": [
            ("INSET day", D(2026, 9, 1)),
            ("Disaggregated day", D(2026, 11, 2)),
            ("INSET day", D(2027, 1, 4)),
            ("Non-pupil day", D(2027, 4, 12)),
            ("Disaggregated day", D(2027, 5, 28)),
        ],
        "school_days": [72, 53, 65],
    },
    "solihull-2024-25": {
        "terms": [
            ("Autumn term 2024", D(2024, 9, 2), D(2024, 12, 20)),
            ("Spring term 2025", D(2025, 1, 6), D(2025, 4, 11)),
            ("Summer term 2025", D(2025, 4, 28), D(2025, 7, 21)),
        ],
        "half_terms": [
            (D(2024, 10, 28), D(2024, 11, 1)),
            (D(2025, 2, 17), D(2025, 2, 21)),
            (D(2025, 5, 26), D(2025, 5, 30)),
        ],
        "holidays": [
            ("End of term holiday", D(2024, 12, 23), D(2025, 1, 3)),
            ("End of term holiday", D(2025, 4, 14), D(2025, 4, 25)),
            ("End of year holiday", D(2025, 7, 22), D(2025, 8, 31)),
        ],
        "staff_days": [("Disaggregated day", D(2024, 9, 2))],
        "school_days": [74, 65, 55],
    },
}


def _ics(events: list[tuple[str, date, date]]) -> bytes:
    cal = icalendar.Calendar()
    cal.add("prodid", "-//ParentLink tests//Council term dates//EN")
    cal.add("version", "2.0")
    for n, (summary, first, last) in enumerate(events):
        event = icalendar.Event()
        event.add("uid", f"{n}@example.com")
        event.add("summary", summary)
        event.add("dtstart", first)
        event.add("dtend", last + timedelta(days=1))  # all-day: the day after
        cal.add_component(event)
    return cal.to_ical()


def _closures(council: dict) -> list[tuple[str, date, date]]:
    return [
        *(("Half term", a, b) for a, b in council["half_terms"]),
        *council["holidays"],
        *((name, day, day) for name, day in council["staff_days"]),
    ]


def _teaching_days(council: dict) -> list[date]:
    """What a council's "one event per school day" feed lists."""
    import holidays

    banks = holidays.country_holidays("GB", subdiv="ENG", years=range(2024, 2029))
    closed = {d for _n, a, b in _closures(council) for d in calendars.Event("", a, b).days()}
    days = []
    for _name, first, last in council["terms"]:
        day = first
        while day <= last:
            if day.weekday() < 5 and day not in banks and day not in closed:
                days.append(day)
            day += timedelta(days=1)
    return days


def shapes(council: dict) -> dict[str, bytes]:
    days = _teaching_days(council)
    staff = [(name, day, day) for name, day in council["staff_days"]]
    return {
        "terms as spans": _ics([*council["terms"], *_closures(council)]),
        "one event per school day": _ics([("Term day", d, d) for d in days] + staff),
        "numbered school days": _ics([(f"Day {n}", d, d) for n, d in enumerate(days, 1)] + staff),
        "holidays only": _ics(_closures(council)),
    }


@pytest.mark.parametrize("name", COUNCILS)
def test_every_shape_gives_three_terms_with_the_same_school_days(name):
    council = COUNCILS[name]
    for shape, data in shapes(council).items():
        result = calendars.plan(*calendars.read_events(data, "council.ics"))
        assert result.shape == shape
        assert [t.school_days for t in result.terms] == council["school_days"], shape
        assert [t.name.split()[0] for t in result.terms] == ["Autumn", "Spring", "Summer"], shape
        for term, (_n, first, last) in zip(result.terms, council["terms"], strict=True):
            # A term inferred from its days starts after an INSET day on its first day.
            assert first <= term.starts_on <= first + timedelta(days=1), shape
            assert term.ends_on == last, shape


def test_the_suffolk_year_has_190_school_days():
    result = calendars.plan(
        *calendars.read_events(shapes(COUNCILS["suffolk-2026-27"])["holidays only"])
    )
    assert sum(t.school_days for t in result.terms) == 190


def test_a_calendar_that_would_give_too_many_terms_is_refused():
    weeks = [
        (
            f"Term {n}",
            D(2026, 9, 7) + timedelta(weeks=2 * n),
            D(2026, 9, 11) + timedelta(weeks=2 * n),
        )
        for n in range(10)
    ]
    with pytest.raises(TermDatesError, match="gives 10 terms in 2026-27"):
        calendars.plan(*calendars.read_events(_ics(weeks), "x.ics"))


def test_the_terms_command_shows_the_terms_and_saves_them(app, tmp_path):
    with app.app_context():
        builders.school()
        db.session.commit()
    path = tmp_path / "suffolk.ics"
    path.write_bytes(shapes(COUNCILS["suffolk-2026-27"])["one event per school day"])
    cli = app.test_cli_runner()
    dry = cli.invoke(args=["school", "terms", str(path), "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "Read as one event per school day:" in dry.output
    assert "Autumn 2026: Wed 2 Sep 2026 to Fri 18 Dec 2026, 72 school days" in dry.output
    with app.app_context():
        assert db.session.scalar(select(func.count(Term.id))) == 0
    saved = cli.invoke(args=["school", "terms", str(path)])
    assert saved.exit_code == 0, saved.output
    with app.app_context():
        assert db.session.scalar(select(func.count(Term.id))) == 3


def test_a_school_day_feed_starts_one_round_a_term_all_year(app, clock):
    """The 190 "Term day" events once gave 190 terms and a round every school day."""
    clock.set(datetime(2026, 8, 20, 6, 0, tzinfo=UTC))
    with app.app_context():
        school = builders.school()
        publish(load_version(school.id, COATES_LANE_POLICY, actor="t"), actor="t")
        import_families(school.id, builders.csv_bytes([family_row("P1", "C1")]))
        data = shapes(COUNCILS["suffolk-2026-27"])["one event per school day"]
        calendars.import_calendar(school.id, data, "suffolk.ics", actor="t")
        db.session.commit()
    runner.bind(app)
    day = D(2026, 8, 20)
    while day <= D(2027, 7, 31):
        clock.set(datetime(day.year, day.month, day.day, 6, 30, tzinfo=UTC))
        runner.run_job("rounds")
        day += timedelta(days=1)
    with app.app_context():
        rounds = db.session.scalars(
            select(TermRound).where(TermRound.reason == RoundReason.TERMLY)
        ).all()
        assert len(rounds) == 3
        assert db.session.scalar(select(func.count(Campaign.id))) == 3
        # and the database itself refuses a second round for a term
        first = rounds[0]
        db.session.add(
            TermRound(
                school_id=first.school_id,
                term_id=first.term_id,
                term_name=first.term_name,
                reason=RoundReason.TERMLY,
                audience=AudienceKind.WHOLE_SCHOOL,
                starts_on=first.starts_on,
            )
        )
        with pytest.raises(IntegrityError):
            db.session.flush()
        db.session.rollback()
