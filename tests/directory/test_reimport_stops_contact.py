# ruff: noqa: E501 - rows of CSV are clearer on one line each
"""A re-import that no longer links a carer to a pupil, or turns their parental
responsibility off, stops every invitation and reminder about that pupil — through
`parentlink import`, the same pipeline as the office's upload (dry run, then for real)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from jobs import runner
from parentlink.agreements.services import current_version
from parentlink.campaigns.models import Invitation, InvitationStatus
from parentlink.campaigns.services import launch_campaign
from parentlink.core.clock import now
from parentlink.db import db
from parentlink.directory.models import ColumnMapping, Contact, Pupil, PupilContact
from parentlink.messaging.models import Message, MessageKind, MessageStatus
from parentlink.schools.models import School
from parentlink.schools.terms import seed_standard_english_year
from tests.builders import published_policy, school

# An Arbor "wide" export: Admission No, the whole name in one cell, the telephone before
# the mobile, and no contact ids.
HEADER = "Admission No,First Name,Last Name,Year,Reg Form,Contact 1 Name,Contact 1 Relationship,Contact 1 Legal guardian,Contact 1 Telephone,Contact 1 Mobile,Contact 1 Email,Contact 2 Name,Contact 2 Relationship,Contact 2 Legal guardian,Contact 2 Telephone,Contact 2 Mobile,Contact 2 Email\r\n"
AMELIA = "A1,Amelia,Patel,Year 3,3K,Mrs Priya Patel,Mother,Yes,0161 496 0001,07700 900001,,Mr Raj Patel,Father,Yes,0161 496 0002,07700 900002,\r\n"
AMELIA_NO_FATHER = (
    "A1,Amelia,Patel,Year 3,3K,Mrs Priya Patel,Mother,Yes,0161 496 0001,07700 900001,,,,,,,\r\n"
)
AMELIA_FATHER_NO_PR = "A1,Amelia,Patel,Year 3,3K,Mrs Priya Patel,Mother,Yes,0161 496 0001,07700 900001,,Mr Raj Patel,Father,No,0161 496 0002,07700 900002,\r\n"
OTHERS = "".join(
    f'A{n},Child{n},Jones,Year 2,2B,"Jones, Sam{n}",Carer,Yes,,07700 9001{n:02d},,,,,,,\r\n'
    for n in range(2, 12)
)


@pytest.fixture
def cli(app, tmp_path):
    with app.app_context():
        the_school = school()
        seed_standard_english_year(the_school.id, 2026)
        published_policy(the_school.id)
        db.session.commit()
    runner_ = app.test_cli_runner()

    def run(text: str, *args: str):
        path = tmp_path / "guardians.csv"
        path.write_bytes(text.encode("utf-8"))
        return runner_.invoke(args=["import", str(path), *args])

    return run


def _launch(app):
    with app.app_context():
        the_school = db.session.scalar(select(School))
        launch_campaign(
            the_school,
            current_version(the_school.id),
            name="Autumn",
            closes_at=now() + timedelta(days=30),
            actor="test",
        )
        db.session.commit()


def _raj(app) -> dict:
    with app.app_context():
        raj = db.session.scalar(select(Contact).where(Contact.first_name == "Raj"))
        invitation = db.session.scalar(select(Invitation).where(Invitation.contact_id == raj.id))
        return {
            "links": db.session.scalar(
                select(func.count()).where(PupilContact.contact_id == raj.id)
            ),
            "invitation": invitation.status if invitation else None,
            "queued": db.session.scalar(
                select(func.count()).where(
                    Message.contact_id == raj.id, Message.status == MessageStatus.QUEUED
                )
            ),
            "reminders": db.session.scalar(
                select(func.count()).where(
                    Message.contact_id == raj.id,
                    Message.kind.in_((MessageKind.REMINDER_1, MessageKind.REMINDER_2)),
                    Message.status != MessageStatus.FAILED,
                )
            ),
        }


@pytest.mark.parametrize(
    ("second", "why"),
    [
        (AMELIA_NO_FATHER, "no longer linked in the file"),
        (AMELIA_FATHER_NO_PR, "no parental responsibility"),
    ],
    ids=["link removed", "parental responsibility off"],
)
def test_a_reimport_stops_every_invitation_and_reminder_about_the_pupil(
    app, cli, clock, second, why
):
    first = cli(HEADER + AMELIA + OTHERS, "--whole-school")
    assert first.exit_code == 0, first.output
    with app.app_context():
        assert (
            db.session.scalar(select(Contact.mobile).where(Contact.first_name == "Raj"))
            == "+447700900002"
        )
    _launch(app)
    assert _raj(app) == {
        "links": 1,
        "invitation": InvitationStatus.CREATED,
        "queued": 1,
        "reminders": 0,
    }

    dry = cli(HEADER + second + OTHERS, "--whole-school", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert (
        f"1 carer will no longer be contacted about Amelia Patel: Raj Patel ({why})" in dry.output
    )
    assert "Nothing was written (dry run)" in dry.output
    assert _raj(app)["invitation"] is InvitationStatus.CREATED  # the dry run changed nothing

    real = cli(HEADER + second + OTHERS, "--whole-school")
    assert real.exit_code == 0, real.output
    after = _raj(app)
    assert after["invitation"] is InvitationStatus.REVOKED and after["queued"] == 0
    assert after["links"] == (0 if why.startswith("no longer") else 1)

    runner.bind(app)
    for _ in range(12):  # the chase runs on through the next fortnight's school days
        clock.advance(days=1)
        runner.run_job("chase")
        runner.run_job("dispatch")
    assert _raj(app)["reminders"] == 0
    with app.app_context():
        priya = db.session.scalar(select(Contact).where(Contact.first_name == "Priya"))
        assert (
            db.session.scalar(
                select(func.count()).where(
                    Message.contact_id == priya.id, Message.kind == MessageKind.REMINDER_1
                )
            )
            == 1
        )  # the mother is still chased


def test_pupils_missing_from_a_whole_school_file_become_leavers_with_confirmation(app, cli):
    assert cli(HEADER + AMELIA + OTHERS, "--whole-school").exit_code == 0
    with app.app_context():
        remembered = db.session.scalar(select(ColumnMapping.mapping))
    only_amelia = cli(HEADER + AMELIA, "--whole-school")
    assert only_amelia.exit_code != 0
    assert "10 of 11 pupils would be marked as leavers" in only_amelia.output
    assert "Nothing was imported" in only_amelia.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).where(Pupil.left_on.is_not(None))) == 0
        assert db.session.scalar(select(ColumnMapping.mapping)) == remembered
    confirmed = cli(HEADER + AMELIA, "--whole-school", "--confirm-leavers")
    assert confirmed.exit_code == 0, confirmed.output
    assert "10 leavers" in confirmed.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).where(Pupil.left_on.is_not(None))) == 10
    # A partial file (no --whole-school) marks nobody.
    assert cli(HEADER + OTHERS).exit_code == 0
    with app.app_context():
        assert db.session.scalar(select(func.count()).where(Pupil.left_on.is_not(None))) == 0


def _reminders_and_invitations(app, first_name: str) -> tuple[int, list[InvitationStatus]]:
    with app.app_context():
        carer = db.session.scalar(select(Contact).where(Contact.first_name == first_name))
        reminders = db.session.scalar(
            select(func.count()).where(
                Message.contact_id == carer.id,
                Message.kind.in_((MessageKind.REMINDER_1, MessageKind.REMINDER_2)),
            )
        )
        statuses = db.session.scalars(
            select(Invitation.status).where(Invitation.contact_id == carer.id)
        ).all()
        return reminders, list(statuses)


def test_a_leaver_s_carers_are_no_longer_chased_but_a_sibling_s_are(app, cli, clock):
    """Amelia and Child3 leave (a whole-school file without them): Amelia's parents stop
    being asked; Sam2, whose child stays, is still chased; Sam3 answered before Child3 left
    and keeps the answered link."""
    assert cli(HEADER + AMELIA + OTHERS, "--whole-school").exit_code == 0
    _launch(app)
    with app.app_context():  # Child3's carer confirms before Child3 leaves
        sam3 = db.session.scalar(select(Contact).where(Contact.first_name == "Sam3"))
        invitation = db.session.scalar(select(Invitation).where(Invitation.contact_id == sam3.id))
        invitation.status = InvitationStatus.CONFIRMED
        db.session.commit()
    without = [line for line in OTHERS.splitlines(keepends=True) if not line.startswith("A3,")]
    dry = cli(HEADER + "".join(without), "--whole-school", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "2 leavers" in dry.output
    assert "2 open invitation(s) will stop asking about pupils who have left" in dry.output
    assert _reminders_and_invitations(app, "Raj")[1] == [InvitationStatus.CREATED]

    real = cli(HEADER + "".join(without), "--whole-school", "--confirm-leavers")
    assert real.exit_code == 0, real.output
    runner.bind(app)
    for _ in range(12):
        clock.advance(days=1)
        runner.run_job("chase")
        runner.run_job("dispatch")
    assert _reminders_and_invitations(app, "Raj") == (0, [InvitationStatus.REVOKED])
    assert _reminders_and_invitations(app, "Priya")[0] == 0
    assert _reminders_and_invitations(app, "Sam3") == (0, [InvitationStatus.CONFIRMED])
    assert _reminders_and_invitations(app, "Sam2")[0] >= 1  # Child2 is still at school
