"""The schema the migrations build is the schema the models describe, and an installed
wheel carries everything the app needs to find at run time."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import parentlink.schema
from parentlink.db import db

REPO = Path(__file__).resolve().parent.parent

SHIPPED = [
    "parentlink/templates/base.html",
    "parentlink/templates/parents/agreement.html",
    "parentlink/migrations/env.py",
    "parentlink/migrations/versions/0001_initial_schema.py",
    "parentlink/static/parentlink.css",
    "parentlink/agreements/seed/coates_lane_social_media.toml",
    "jobs/scheduler.py",
    "parentlink/translations/pl/LC_MESSAGES/messages.mo",
    "parentlink/translations/ur/LC_MESSAGES/messages.mo",
]


def test_the_migrations_and_the_models_agree(app):
    """The session fixture built the test database with Alembic alone."""
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={"include_name": parentlink.schema.include_name, "compare_type": True},
        )
        assert compare_metadata(context, db.metadata) == []


def _build_wheel(out: Path) -> Path:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "--disable-pip-version-check",
            "--no-cache-dir",
            "-w",
            str(out),
            str(REPO),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    (wheel,) = out.glob("parentlink-*.whl")
    return wheel


INSTALLED_CHECK = textwrap.dedent(
    """
    import json, sys
    site = sys.argv[1]
    sys.path.insert(0, site)
    from pathlib import Path

    import jobs.scheduler
    import parentlink
    from parentlink import create_app, resource_dir
    from parentlink.agreements.services import COATES_LANE_POLICY, load_version, publish
    from parentlink.db import db
    from parentlink.schema import upgrade
    from parentlink.schools.services import create_school

    app = create_app({
        "ENV_NAME": "test",
        "SECRET_KEY": "installed-wheel-check-0123456789abcdef",
        "SQLALCHEMY_DATABASE_URI": "sqlite:///" + sys.argv[2],
    })
    with app.app_context():
        upgrade()
        school = create_school(name="Coates Lane Primary School",
                               short_name="Coates Lane Primary", slug="coates-lane")
        version = publish(load_version(school.id, COATES_LANE_POLICY, actor="check"),
                          actor="check")
        db.session.commit()
        clauses = len(version.clauses)
    client = app.test_client()
    missing = client.get("/no-such-page")
    css = client.get("/static/parentlink.css")
    print(json.dumps({
        "package": parentlink.__file__,
        "jobs": jobs.scheduler.__file__,
        "templates": app.template_folder,
        "static": app.static_folder,
        "migrations": str(resource_dir("migrations")),
        "policy": str(COATES_LANE_POLICY),
        "clauses": clauses,
        "missing_status": missing.status_code,
        "missing_page": missing.get_data(as_text=True),
        "css_status": css.status_code,
    }))
    """
)


def test_the_wheel_ships_templates_migrations_and_seed_and_runs_installed(tmp_path):
    wheel = _build_wheel(tmp_path / "dist")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        missing = [name for name in SHIPPED if name not in names]
        assert missing == []
        assert not any(name.startswith("tests/") for name in names)
        site = tmp_path / "site"
        archive.extractall(site)

    # Run from an empty folder, so the checkout is not on sys.path: only the wheel's files.
    workdir = tmp_path / "elsewhere"
    workdir.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PARENTLINK_", "PYTHON"))}
    result = subprocess.run(
        [sys.executable, "-c", INSTALLED_CHECK, str(site), str(tmp_path / "installed.db")],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout.strip().splitlines()[-1])
    for key in ("package", "jobs", "templates", "static", "migrations", "policy"):
        assert found[key].startswith(str(site)), (key, found[key])
    assert found["templates"] == str(site / "parentlink" / "templates")
    assert found["migrations"] == str(site / "parentlink" / "migrations")
    assert found["clauses"] > 0
    assert found["missing_status"] == 404
    assert "Page not found" in found["missing_page"]  # errors/error.html through base.html
    assert found["css_status"] == 200
