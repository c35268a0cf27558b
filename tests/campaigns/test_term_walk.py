"""Walk through an autumn term in seconds: reminders only on school days inside the sending
window, never at weekends, in half-term or at night; confirmations stop the chase; one
reminder per carer however many children; the call list at the end."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from jobs import runner
from parentlink.agreements.services import COATES_LANE_POLICY, load_version, publish
from parentlink.campaigns.chase import call_list_query
from parentlink.campaigns.models import Invitation
from parentlink.campaigns.rounds import RoundStatus, TermRound
from parentlink.campaigns.services import confirm, find_invitation, launch_campaign
from parentlink.db import db
from parentlink.directory.importer import import_families
from parentlink.directory.models import Contact
from parentlink.messaging.models import Message, MessageKind
from parentlink.schools.calendar import SchoolCalendar
from parentlink.schools.terms import seed_standard_english_year
from tests import builders
from tests.builders import family_row

LONDON = ZoneInfo("Europe/London")
REMINDERS = {MessageKind.REMINDER_1, MessageKind.REMINDER_2, MessageKind.REMINDER_3}


def _at(day: date, hour: int, minute: int = 5) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=LONDON).astimezone(UTC)


def _reminders_for(mis_id: str) -> list[tuple[date, MessageKind, str]]:
    rows = db.session.execute(
        select(Message.created_at, Message.kind, Message.channel)
        .join(Contact, Contact.id == Message.contact_id)
        .where(Contact.mis_id == mis_id, Message.kind.in_(REMINDERS))
        .order_by(Message.id)
    )
    return [(at.astimezone(LONDON).date(), kind, channel.value) for at, kind, channel in rows]


def _token(mis_id: str) -> str:
    return db.session.scalar(
        select(Message.link_token)
        .join(Contact, Contact.id == Message.contact_id)
        .where(Contact.mis_id == mis_id, Message.kind == MessageKind.INVITE)
    )


def test_an_autumn_term_of_chasing(app, clock):
    clock.set(_at(date(2026, 10, 19), 9, 0))  # Monday 19 October 2026: launch day
    with app.app_context():
        school = builders.school()
        seed_standard_english_year(school.id, 2026)
        version = publish(load_version(school.id, COATES_LANE_POLICY, actor="t"), actor="t")
        import_families(
            school.id,
            builders.csv_bytes(
                [
                    family_row("P1", "C1", pupil_first_name="Amelia"),  # mother, priority 1
                    family_row(
                        "P1",
                        "C2",
                        pupil_first_name="Amelia",
                        relationship="Father",
                        preferred_channel="email",
                    ),
                    family_row("P2", "C3", pupil_first_name="Noah"),  # never answers
                    family_row("P3", "C4", pupil_first_name="Ruby"),  # three children, one carer
                    family_row("P4", "C4", pupil_first_name="Isla"),
                    family_row("P5", "C4", pupil_first_name="Leo"),
                ]
            ),
        )
        launch_campaign(
            school, version, name="Autumn", actor="t", closes_at=_at(date(2026, 12, 18), 23, 59)
        )
        db.session.commit()
        tokens = {mis: _token(mis) for mis in ("C1", "C2", "C3", "C4")}
        calendar = SchoolCalendar(school)

    runner.bind(app)
    day = date(2026, 10, 19)
    while day <= date(2026, 12, 18):
        for hour in (7, 9, 13, 19, 22):  # before, during and after the sending window
            clock.set(_at(day, hour))
            runner.run_job("chase")
        clock.set(_at(day, 7, 30))
        runner.run_job("rounds")
        if day == date(2026, 10, 23):  # Amelia's mother confirms on Friday before half term
            with app.app_context():
                confirm(
                    find_invitation(tokens["C1"], for_update=True),
                    typed_name="Sarah",
                    ip_address=None,
                    user_agent=None,
                )
                db.session.commit()
        day += timedelta(days=1)

    with app.app_context():
        every = [r for mis in ("C1", "C2", "C3", "C4") for r in _reminders_for(mis)]
        assert every, "no reminder was sent at all"
        for sent_on, _, _ in every:
            assert calendar.is_school_day(sent_on), f"a reminder on {sent_on}"
        times = db.session.scalars(
            select(Message.created_at).where(Message.kind.in_(REMINDERS))
        ).all()
        assert all(9 <= t.astimezone(LONDON).hour < 20 for t in times)

        # School days after Monday 19 Oct: 20, 21, 22 (day 3), 23, half term, 2 Nov, 3, 4
        # (day 7), 5, 6, 9 (day 10) November.
        assert _reminders_for("C3") == [
            (date(2026, 10, 22), MessageKind.REMINDER_1, "sms"),
            (date(2026, 11, 4), MessageKind.REMINDER_2, "email"),
            (date(2026, 11, 9), MessageKind.REMINDER_3, "sms"),
            (date(2026, 11, 9), MessageKind.REMINDER_3, "email"),
        ]
        # Three children, one carer: one reminder per step, not three.
        assert [kind for _, kind, _ in _reminders_for("C4")] == [
            MessageKind.REMINDER_1,
            MessageKind.REMINDER_2,
            MessageKind.REMINDER_3,
            MessageKind.REMINDER_3,
        ]
        # The mother confirmed on 23 Oct: Amelia is covered, so the father is not chased
        # after that either (any one carer with parental responsibility is enough).
        assert _reminders_for("C1") == [(date(2026, 10, 22), MessageKind.REMINDER_1, "sms")]
        assert _reminders_for("C2") == [(date(2026, 10, 22), MessageKind.REMINDER_1, "email")]

        campaign_id = db.session.scalar(select(Invitation.campaign_id))
        from parentlink.campaigns.models import Campaign

        call_list = db.session.scalars(call_list_query(db.session.get(Campaign, campaign_id))).all()
        assert sorted(inv.contact.mis_id for inv in call_list) == ["C3", "C4"]

    # The Christmas holiday passes; the spring round starts by itself on its day, for the
    # families not yet covered by the version (everyone but Amelia's).
    day = date(2026, 12, 19)
    while day <= date(2027, 1, 8):
        clock.set(_at(day, 7, 30))
        runner.run_job("rounds")
        day += timedelta(days=1)
    with app.app_context():
        spring = db.session.scalar(select(TermRound).where(TermRound.term_name == "Spring 2027"))
        assert spring.status is RoundStatus.STARTED
        invited = db.session.scalars(
            select(Contact.mis_id)
            .join(Invitation, Invitation.contact_id == Contact.id)
            .where(Invitation.campaign_id == spring.campaign_id)
            .order_by(Contact.mis_id)
        ).all()
        assert invited == ["C3", "C4"]


def test_a_reminder_brings_its_own_link_and_the_first_link_still_works(app, client, clock):
    clock.set(_at(date(2026, 10, 19), 9, 0))
    with app.app_context():
        school = builders.school()
        seed_standard_english_year(school.id, 2026)
        version = publish(load_version(school.id, COATES_LANE_POLICY, actor="t"), actor="t")
        import_families(school.id, builders.csv_bytes([family_row("P1", "C1")]))
        launch_campaign(
            school, version, name="Autumn", actor="t", closes_at=_at(date(2026, 12, 18), 23, 59)
        )
        db.session.commit()
        first = _token("C1")
    clock.set(_at(date(2026, 10, 22), 9))
    runner.bind(app)
    assert runner.run_job("chase")["messages"] == 1
    with app.app_context():
        reminder = db.session.scalar(
            select(Message.link_token).where(Message.kind == MessageKind.REMINDER_1)
        )
    assert reminder and reminder != first
    assert client.get(f"/a/{reminder}").status_code == 200
    assert client.get(f"/a/{first}").status_code == 200


def test_the_priority_one_carer_can_be_reminded_days_before_the_others(app, clock):
    clock.set(_at(date(2026, 9, 14), 9, 0))  # Monday
    with app.app_context():
        school = builders.school()
        seed_standard_english_year(school.id, 2026)
        version = publish(load_version(school.id, COATES_LANE_POLICY, actor="t"), actor="t")
        import_families(
            school.id,
            builders.csv_bytes(
                [
                    family_row("P1", "C1"),  # listed first: priority 1
                    family_row("P1", "C2", relationship="Father"),
                ]
            ),
        )
        summary = launch_campaign(
            school, version, name="Autumn", actor="t", closes_at=_at(date(2026, 12, 18), 23, 59)
        )
        summary.campaign.priority_lead_days = 2
        db.session.commit()
    runner.bind(app)
    for day in range(15, 22):  # Tue 15 to Mon 21 September
        clock.set(_at(date(2026, 9, day), 9))
        runner.run_job("chase")
    with app.app_context():
        assert _reminders_for("C1") == [(date(2026, 9, 17), MessageKind.REMINDER_1, "sms")]
        assert _reminders_for("C2") == [(date(2026, 9, 21), MessageKind.REMINDER_1, "sms")]
