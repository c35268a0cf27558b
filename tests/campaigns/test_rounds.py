"""Termly rounds start by themselves; the office hears first and can pause or move them."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from jobs import runner
from parentlink.agreements.services import COATES_LANE_POLICY, load_version, publish
from parentlink.campaigns.models import AudienceKind, Campaign, Invitation
from parentlink.campaigns.rounds import RoundReason, RoundStatus, TermRound
from parentlink.campaigns.services import confirm, find_invitation, launch_campaign
from parentlink.db import db
from parentlink.directory.importer import import_families
from parentlink.directory.models import Contact
from parentlink.messaging.models import Message, MessageKind
from parentlink.schools.terms import seed_standard_english_year
from tests import builders
from tests.builders import family_row

LONDON = ZoneInfo("Europe/London")


def _at(day: date, hour: int = 7, minute: int = 30) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=LONDON).astimezone(UTC)


def _walk(app, clock, first: date, last: date) -> None:
    runner.bind(app)
    day = first
    while day <= last:
        clock.set(_at(day))
        runner.run_job("rounds")
        day += timedelta(days=1)


def _school_with_autumn_campaign(app, clock):
    clock.set(_at(date(2026, 11, 24), 9, 0))
    with app.app_context():
        school = builders.school()
        school.office_email = "office@example.com"
        seed_standard_english_year(school.id, 2026)
        version = publish(load_version(school.id, COATES_LANE_POLICY, actor="t"), actor="t")
        import_families(
            school.id, builders.csv_bytes([family_row("P1", "C1"), family_row("P2", "C2")])
        )
        launch_campaign(
            school, version, name="Autumn", actor="t", closes_at=_at(date(2026, 12, 18), 23, 59)
        )
        token = db.session.scalar(
            select(Message.link_token)
            .join(Contact, Contact.id == Message.contact_id)
            .where(Contact.mis_id == "C1")
        )
        confirm(find_invitation(token), typed_name="Sarah", ip_address=None, user_agent=None)
        db.session.commit()


def _rounds() -> dict[str, TermRound]:
    return {r.term_name: r for r in db.session.scalars(select(TermRound))}


def test_the_spring_round_starts_by_itself_for_whoever_is_not_yet_covered(app, clock):
    _school_with_autumn_campaign(app, clock)
    _walk(app, clock, date(2026, 11, 24), date(2026, 12, 10))
    with app.app_context():
        # A new starter joins in December.
        import_families(
            1,
            builders.csv_bytes(
                [family_row("P1", "C1"), family_row("P2", "C2"), family_row("P3", "C3")]
            ),
        )
        db.session.commit()
    _walk(app, clock, date(2026, 12, 11), date(2027, 1, 15))
    with app.app_context():
        rounds = _rounds()
        # Autumn was past its round day when first seen: not started late by itself.
        assert rounds["Autumn 2026"].status is RoundStatus.SKIPPED
        spring = rounds["Spring 2027"]
        assert spring.status is RoundStatus.STARTED
        assert spring.starts_on == date(2027, 1, 8)  # the 5th school day of spring
        assert spring.notified_at.astimezone(LONDON).date() == date(2027, 1, 3)
        assert spring.started_at.astimezone(LONDON).date() == date(2027, 1, 8)
        campaign = db.session.get(Campaign, spring.campaign_id)
        assert campaign.audience_kind is AudienceKind.NOT_CONFIRMED
        invited = db.session.scalars(
            select(Contact.mis_id)
            .join(Invitation, Invitation.contact_id == Contact.id)
            .where(Invitation.campaign_id == campaign.id)
            .order_by(Contact.mis_id)
        ).all()
        assert invited == ["C2", "C3"]  # C1 confirmed this version in the autumn
        notice = db.session.scalar(select(Message).where(Message.kind == MessageKind.ROUND_NOTICE))
        assert notice.to_address == "office@example.com"
        assert "Spring 2027" in notice.body and "Friday 8 January 2027" in notice.body
        assert "/office/rounds" in notice.body and "parentlink rounds" not in notice.body
        assert db.session.query(Campaign).count() == 2  # running daily never starts it twice


def test_a_paused_round_waits_and_a_moved_round_starts_on_its_new_day(app, clock):
    _school_with_autumn_campaign(app, clock)
    _walk(app, clock, date(2026, 11, 24), date(2026, 11, 30))
    cli = app.test_cli_runner()
    with app.app_context():
        spring_id = _rounds()["Spring 2027"].id
    result = cli.invoke(args=["rounds", "pause", str(spring_id)])
    assert result.exit_code == 0, result.output
    _walk(app, clock, date(2026, 12, 1), date(2027, 1, 12))
    with app.app_context():
        assert _rounds()["Spring 2027"].status is RoundStatus.PAUSED
        assert db.session.query(Campaign).count() == 1
    assert cli.invoke(args=["rounds", "resume", str(spring_id)]).exit_code == 0
    past = cli.invoke(args=["rounds", "move", str(spring_id), "2026-01-01"])
    assert past.exit_code != 0 and "cannot be moved into the past" in past.output
    assert cli.invoke(args=["rounds", "move", str(spring_id), "2027-01-18"]).exit_code == 0
    _walk(app, clock, date(2027, 1, 13), date(2027, 1, 20))
    with app.app_context():
        spring = _rounds()["Spring 2027"]
        assert spring.status is RoundStatus.STARTED
        assert spring.started_at.astimezone(LONDON).date() == date(2027, 1, 18)
    again = cli.invoke(args=["rounds", "pause", str(spring_id)])
    assert again.exit_code != 0 and "cannot pause" in again.output


def test_a_new_major_version_starts_a_round_for_everyone(app, clock, tmp_path):
    _school_with_autumn_campaign(app, clock)
    changed = tmp_path / "policy-2.toml"
    changed.write_text(COATES_LANE_POLICY.read_text().replace('label = "1.0"', 'label = "2.0"'))
    with app.app_context():
        publish(load_version(1, changed, actor="t"), actor="t", major=True)
        db.session.commit()
    _walk(app, clock, date(2026, 11, 25), date(2026, 11, 27))
    with app.app_context():
        new_version = db.session.scalar(
            select(TermRound).where(TermRound.reason == RoundReason.NEW_VERSION)
        )
        assert new_version.status is RoundStatus.STARTED
        assert new_version.starts_on == date(2026, 11, 26)
        campaign = db.session.get(Campaign, new_version.campaign_id)
        assert campaign.version.label == "2.0"
        assert campaign.audience_kind is AudienceKind.WHOLE_SCHOOL
        assert db.session.query(Invitation).filter_by(campaign_id=campaign.id).count() == 2


def test_administrators_pause_resume_move_and_skip_rounds_in_the_office(app, client, clock):
    from tests.builders import csrf_token
    from tests.office.sign_in import sign_in, staff_with_two_factor

    _school_with_autumn_campaign(app, clock)
    _walk(app, clock, date(2026, 11, 24), date(2026, 11, 30))
    with app.app_context():
        school_id = db.session.scalar(select(TermRound.school_id))
        staff_with_two_factor(school_id, "admin@example.com", "admin")
        builders.staff(school_id)
        db.session.commit()
        spring = db.session.scalar(select(TermRound).where(TermRound.term_name == "Spring 2027"))
        spring_id = spring.id
    sign_in(client, "office@example.com", two_factor=False)
    assert client.get("/office/rounds").status_code == 403  # administrators only
    client.post("/office/logout", data={"csrf_token": csrf_token(client.get("/office/").text)})
    sign_in(client, "admin@example.com", two_factor=True)
    page = client.get("/office/rounds").get_data(as_text=True)
    assert "Spring 2027" in page and "Friday 8 January 2027" in page
    token = csrf_token(page)

    def act(action, **data):
        response = client.post(
            f"/office/rounds/{spring_id}/{action}", data={"csrf_token": token, **data}
        )
        assert response.status_code == 303
        return client.get(response.headers["Location"]).get_data(as_text=True)

    assert "The Spring 2027 round is paused." in act("pause")
    assert "was not changed" in act("pause")  # already paused: said, nothing changes
    assert "The Spring 2027 round is resumed." in act("resume")
    assert "enter the new start date" in act("move", starts_on="soon")
    assert "moved to Monday 11 January 2027" in act("move", starts_on="2027-01-11")
    with app.app_context():
        assert db.session.get(TermRound, spring_id).starts_on == date(2027, 1, 11)
    assert "The Spring 2027 round is skipped." in act("skip")
    with app.app_context():
        assert db.session.get(TermRound, spring_id).status is RoundStatus.SKIPPED
