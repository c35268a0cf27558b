"""`parentlink school terms FILE`."""

from __future__ import annotations

from sqlalchemy import func, select

from parentlink.db import db
from parentlink.schools.models import Closure, Term


def test_the_terms_command_imports_a_csv_and_refuses_a_bad_one(app, tmp_path):
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
    good = tmp_path / "terms.csv"
    good.write_text(
        "kind,name,starts_on,ends_on\n"
        "term,Autumn 2026,2026-09-02,2026-12-18\n"
        "closure,October half term,2026-10-26,2026-10-30\n"
    )
    result = cli.invoke(args=["school", "terms", str(good)])
    assert result.exit_code == 0, result.output
    assert "Imported 1 term and 1 closure." in result.output
    bad = tmp_path / "bad.csv"
    bad.write_text("kind,name,starts_on,ends_on\nterm,Spring 2027,2027-03-26,2027-01-04\n")
    result = cli.invoke(args=["school", "terms", str(bad)])
    assert result.exit_code != 0
    assert "row 2: Spring 2027 ends (2027-01-04) before it starts" in result.output
    assert "Nothing was imported" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count(Term.id))) == 1
        assert db.session.scalar(select(func.count(Closure.id))) == 1
