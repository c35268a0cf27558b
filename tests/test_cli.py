"""The `parentlink` command, as the school's IT support runs it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from parentlink.campaigns.models import Campaign, Invitation
from parentlink.db import db
from parentlink.messaging.models import Message
from parentlink.office.models import StaffUser
from parentlink.schools.models import School
from tests.builders import csv_bytes, family_row, school

REPO = Path(__file__).resolve().parent.parent
COMMANDS = ["demo", "jobs", "import", "campaign", "staff", "db", "agreement", "school", "dispatch"]


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def run(app):
    runner = app.test_cli_runner()

    def invoke(*args: str):
        return runner.invoke(args=list(args))

    return invoke


@pytest.fixture
def cli_school(app):
    with app.app_context():
        school()
        db.session.commit()


def test_help_lists_every_command(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PARENTLINK_")}
    env["PARENTLINK_DATABASE_URL"] = f"sqlite:///{tmp_path / 'help.db'}"
    result = subprocess.run(
        [sys.executable, "-c", "from parentlink.cli import main; main()", "--help"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "ParentLink: parents and carers confirm" in result.stdout
    listed = result.stdout.split("Commands:", 1)[1].splitlines()
    names = {line.split()[0] for line in listed if line.strip()}
    assert set(COMMANDS) <= names


# --- staff and schools ---------------------------------------------------------------------


def test_staff_create_makes_an_account(app, cli_school, run):
    result = run(
        "staff",
        "create",
        "--email",
        "Office@Example.com",
        "--name",
        "Office Tester",
        "--password",
        "correct horse battery staple",
    )
    assert result.exit_code == 0, result.output
    assert "Created office account for Office@example.com." in result.output
    with app.app_context():
        user = db.session.scalar(select(StaffUser))
        assert user.check_password("correct horse battery staple")


def test_staff_create_refuses_a_short_password_and_creates_nothing(app, cli_school, run):
    result = run(
        "staff",
        "create",
        "--email",
        "office@example.com",
        "--name",
        "Office Tester",
        "--password",
        "short",
    )
    assert result.exit_code == 1
    assert "Error: A password needs at least 12 characters." in result.output
    assert "Traceback" not in result.output
    assert _count(app, StaffUser) == 0


def test_school_create_refuses_a_bad_slug_clearly(app, run):
    result = run(
        "school",
        "create",
        "Coates Lane Primary School",
        "--short-name",
        "Coates Lane Primary",
        "--slug",
        "Coates Lane",
    )
    assert result.exit_code == 1
    assert "Error: the slug is lowercase letters, digits and dashes" in result.output
    assert _count(app, School) == 0


def test_school_create_refuses_a_slug_that_is_taken(app, cli_school, run):
    result = run(
        "school", "create", "Another School", "--short-name", "Another", "--slug", "coates-lane"
    )
    assert result.exit_code == 1
    assert "Error: a school with slug 'coates-lane' already exists" in result.output
    assert _count(app, School) == 1


# --- from nothing to a launched campaign -------------------------------------------------------


def _families_file(tmp_path) -> Path:
    path = tmp_path / "families.csv"
    path.write_bytes(
        csv_bytes(
            [
                family_row("P1", "C1", pupil_first_name="Amelia"),
                family_row("P2", "C1", pupil_first_name="Oscar"),
                family_row("P1", "C2", pupil_first_name="Amelia", relationship="Father"),
                family_row("P3", "C3", mobile="", preferred_channel="email"),
                family_row("P3", "C4", relationship="Childminder", parental_responsibility="no"),
            ]
        )
    )
    return path


def test_set_up_a_school_and_launch_a_campaign_from_the_command_line(app, run, tmp_path):
    steps = [
        (
            "school",
            "create",
            "Coates Lane Primary School",
            "--short-name",
            "Coates Lane Primary",
            "--slug",
            "coates-lane",
        ),
        ("agreement", "load"),
        ("import", str(_families_file(tmp_path))),
        ("campaign", "launch", "--name", "Autumn round", "--closes", "2026-10-02"),
    ]
    outputs = []
    for args in steps:
        result = run(*args)
        assert result.exit_code == 0, (args, result.output)
        outputs.append(result.output)

    assert "Created school Coates Lane Primary School (coates-lane)." in outputs[0]
    assert "published, SHA-256 " in outputs[1]
    assert "3 pupils added" in outputs[2]
    # C1, C2 and C3 have parental responsibility; the childminder is not asked.
    assert (
        "Launched 'Autumn round': 3 invitations queued; "
        "0 contacts have no usable mobile or email." in outputs[3]
    )
    assert _count(app, Campaign) == 1
    assert _count(app, Invitation) == 3
    assert _count(app, Message) == 3


def test_launching_without_a_published_agreement_fails_clearly(app, cli_school, run, tmp_path):
    assert run("import", str(_families_file(tmp_path))).exit_code == 0
    assert run("agreement", "load", "--draft").exit_code == 0  # a draft is not enough
    result = run("campaign", "launch", "--name", "Autumn round", "--closes", "2026-10-02")
    assert result.exit_code == 1
    assert "Error: No published agreement: run parentlink agreement load" in result.output
    assert _count(app, Campaign) == 0
    assert _count(app, Message) == 0


def test_a_close_date_in_the_past_fails_clearly_and_creates_no_campaign(
    app, cli_school, run, tmp_path
):
    assert run("agreement", "load").exit_code == 0
    assert run("import", str(_families_file(tmp_path))).exit_code == 0
    result = run("campaign", "launch", "--name", "Autumn round", "--closes", "2026-09-01")
    assert result.exit_code == 1
    assert "Error: the close date must be in the future" in result.output
    assert _count(app, Campaign) == 0
    assert _count(app, Invitation) == 0
    assert _count(app, Message) == 0


def test_a_close_date_that_is_not_a_date_is_refused(app, cli_school, run):
    assert run("agreement", "load").exit_code == 0
    result = run("campaign", "launch", "--name", "Autumn round", "--closes", "2 October")
    assert result.exit_code == 2
    assert "'2 October' does not match the format '%Y-%m-%d'" in result.output
    assert _count(app, Campaign) == 0
