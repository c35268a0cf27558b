"""`parentlink school set`: every value checked, nothing changed if one is refused."""

from __future__ import annotations

from sqlalchemy import select

from parentlink.db import db
from parentlink.schools.models import School


def test_school_settings_are_checked_and_all_or_nothing(app):
    cli = app.test_cli_runner()
    cli.invoke(
        args=[
            "school",
            "create",
            "Coates Lane Primary School",
            "--short-name",
            "Coates Lane Primary",
            "--slug",
            "coates-lane",
        ]
    )
    good = cli.invoke(
        args=[
            "school",
            "set",
            "--dsl-alert-mobile",
            "07700 900500",
            "--escalation-emails",
            "deputy@example.com, Head@Example.com",
            "--round-school-day",
            "3",
        ]
    )
    assert good.exit_code == 0, good.output
    bad = cli.invoke(
        args=["school", "set", "--dsl-alert-mobile", "020 7946 0000", "--round-school-day", "9"]
    )
    assert bad.exit_code != 0
    assert "landline" in bad.output and "Nothing was changed" in bad.output
    worse = cli.invoke(args=["school", "set", "--round-school-day", "0"])
    assert worse.exit_code != 0 and "between 1 and 60" in worse.output
    with app.app_context():
        school = db.session.scalar(select(School))
        assert school.dsl_alert_mobile == "+447700900500"
        assert school.escalation_emails == "deputy@example.com, Head@example.com"
        assert school.round_school_day == 3
