"""The safeguarding lead hears of a concern at once, without details; the deputy and the head
hear if nobody acknowledges it within a school day; a daily digest lists open ones by age."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from jobs import runner
from parentlink.concerns.models import Concern, ConcernCategory, ConcernStatus
from parentlink.db import db
from parentlink.messaging.dispatcher import dispatch_pending
from parentlink.messaging.models import Message, MessageKind
from parentlink.schools.terms import seed_standard_english_year
from tests import builders

LONDON = ZoneInfo("Europe/London")
SECRET = "my daughter was sent horrible messages on a group chat"


@pytest.fixture
def app_config(smtp_server) -> dict:
    return {"EMAIL_GATEWAY": "smtp", "MAIL_SERVER": smtp_server.host, "MAIL_PORT": smtp_server.port}


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=LONDON).astimezone(UTC)


def _setup(app, clock, reported: datetime) -> None:
    clock.set(reported)
    with app.app_context():
        school = builders.school()
        school.dsl_alert_mobile = "+447700900500"
        school.escalation_emails = "deputy@example.com, head@example.com"
        seed_standard_english_year(school.id, 2026)
        builders.staff(school.id, "dsl@example.com", role="dsl")
        builders.staff(school.id, "dsl2@example.com", role="dsl")
        builders.staff(school.id, "office@example.com", role="office")
        db.session.add(
            Concern(
                school_id=school.id,
                reference="C-7K3M9Q",
                category=ConcernCategory.CYBERBULLYING,
                description=SECRET,
                platform="WhatsApp",
                reported_at=reported,
            )
        )
        db.session.commit()
    runner.bind(app)


def _messages(kind: MessageKind) -> list[Message]:
    return list(
        db.session.scalars(select(Message).where(Message.kind == kind).order_by(Message.id))
    )


def test_the_dsl_is_alerted_at_once_without_any_detail(app, clock, smtp_server):
    _setup(app, clock, _at(date(2026, 11, 20), 16))  # a Friday afternoon
    assert runner.run_job("concern_alerts") == {"alerted": 1, "escalated": 0}
    assert runner.run_job("concern_alerts") == {"alerted": 0, "escalated": 0}  # once only
    with app.app_context():
        alerts = _messages(MessageKind.DSL_ALERT)
        assert sorted((m.channel.value, m.to_address) for m in alerts) == [
            ("email", "dsl2@example.com"),
            ("email", "dsl@example.com"),
            ("sms", "+447700900500"),
        ]
        assert all("C-7K3M9Q" in m.body for m in alerts)
        dispatch_pending()
        db.session.commit()
    received = [m for m in smtp_server.messages if m.rcpt_tos[0].startswith("dsl")]
    assert len(received) == 2
    for mail in received:
        text = mail.part("text/plain") + mail.part("text/html") + mail["Subject"]
        assert "C-7K3M9Q" in text and "/office/concerns/" in text
        for detail in (SECRET, "WhatsApp", "cyberbullying", "daughter"):
            assert detail not in text


def test_an_unacknowledged_concern_goes_to_the_deputy_and_the_head_a_school_day_later(app, clock):
    _setup(app, clock, _at(date(2026, 11, 20), 16))  # Friday 16:00
    runner.run_job("concern_alerts")
    for moment, escalated in [
        (_at(date(2026, 11, 21), 16, 30), 0),  # Saturday: not a school day
        (_at(date(2026, 11, 23), 15, 59), 0),  # Monday, a minute early
        (_at(date(2026, 11, 23), 16, 1), 1),
        (_at(date(2026, 11, 24), 9), 0),  # never twice
    ]:
        clock.set(moment)
        assert runner.run_job("concern_alerts")["escalated"] == escalated
    with app.app_context():
        escalations = _messages(MessageKind.CONCERN_ESCALATION)
        assert sorted(m.to_address for m in escalations) == [
            "deputy@example.com",
            "head@example.com",
        ]
        assert all(SECRET not in m.body and "C-7K3M9Q" in m.body for m in escalations)


def test_an_acknowledged_concern_is_not_escalated(app, clock):
    _setup(app, clock, _at(date(2026, 11, 20), 16))
    runner.run_job("concern_alerts")
    with app.app_context():
        db.session.scalar(select(Concern)).move_to(ConcernStatus.ACKNOWLEDGED, clock.now())
        db.session.commit()
    clock.set(_at(date(2026, 11, 24), 9))
    assert runner.run_job("concern_alerts")["escalated"] == 0


def test_the_daily_digest_lists_open_concerns_by_age_on_school_days_once(app, clock):
    _setup(app, clock, _at(date(2026, 11, 18), 10))  # Wednesday
    clock.set(_at(date(2026, 11, 21), 8))  # Saturday: no digest
    assert runner.run_job("concern_digest") == {"digests": 0}
    clock.set(_at(date(2026, 11, 23), 8))  # Monday
    assert runner.run_job("concern_digest") == {"digests": 1}
    assert runner.run_job("concern_digest") == {"digests": 0}
    with app.app_context():
        digests = _messages(MessageKind.CONCERN_DIGEST)
        assert sorted(m.to_address for m in digests) == ["dsl2@example.com", "dsl@example.com"]
        assert "C-7K3M9Q  new, reported 5 days ago" in digests[0].body
        assert SECRET not in digests[0].body
