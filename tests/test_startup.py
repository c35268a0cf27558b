"""Every entry point tells the truth at start: the web app under gunicorn, the jobs process
and the CLI say in one line what is wrong and how to fix it, and exit non-zero."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
UPGRADE = "run `parentlink db upgrade`"


@pytest.fixture
def environment(tmp_path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PARENTLINK_")}
    env["PARENTLINK_DATABASE_URL"] = f"sqlite:///{tmp_path / 'fresh.db'}"
    env["PARENTLINK_INSTANCE_DIR"] = str(tmp_path / "instance")
    return env


def _run(env: dict, *args: str, timeout: int = 60) -> subprocess.CompletedProcess:
    return subprocess.run(
        list(args), cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout
    )


def _one_line(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()]
    assert len(lines) == 1, text
    return lines[0]


@pytest.mark.parametrize(
    ("setting", "value", "says"),
    [
        ("PARENTLINK_DATABASE_URL", "postgres://x@db/y", "must start with postgresql+psycopg"),
        ("PARENTLINK_SMTP_PORT", "twenty-five", "PARENTLINK_SMTP_PORT must be a whole number"),
        ("PARENTLINK_ENV", "production", "PARENTLINK_SECRET_KEY must be set"),
    ],
)
def test_a_wrong_setting_is_one_line_for_every_cli_command_which_keep_their_help(
    environment, setting, value, says
):
    environment[setting] = value
    for command in (["school", "create", "X", "--short-name", "X", "--slug", "x"], ["jobs"]):
        result = _run(environment, str(BIN / "parentlink"), *command)
        assert result.returncode == 1
        line = _one_line(result.stderr)
        assert line.startswith("Error: configuration: ") and says in line
    helped = _run(environment, str(BIN / "parentlink"), "--help")
    assert helped.returncode == 0 and helped.stderr == ""
    assert {"db", "jobs", "import", "campaign", "staff", "school"} <= {
        line.split()[0] for line in helped.stdout.split("Commands:")[1].splitlines() if line
    }
    assert (
        "--closes"
        in _run(environment, str(BIN / "parentlink"), "campaign", "launch", "--help").stdout
    )


def test_before_the_schema_every_entry_point_says_run_db_upgrade(environment):
    cli = _run(environment, str(BIN / "parentlink"), "rounds", "list")
    assert cli.returncode == 1 and UPGRADE in _one_line(cli.stderr)
    jobs = _run(environment, str(BIN / "parentlink"), "jobs")
    assert jobs.returncode == 1 and UPGRADE in _one_line(jobs.stderr)
    web = _run(
        environment,
        str(BIN / "gunicorn"),
        "--preload",
        "-w",
        "2",
        "-b",
        "127.0.0.1:0",
        "parentlink.wsgi:app",
    )
    assert web.returncode == 3
    assert _one_line(web.stderr) == (
        "parentlink: the database has no ParentLink tables yet: run `parentlink db upgrade`"
    )

    upgraded = _run(environment, str(BIN / "parentlink"), "db", "upgrade")
    assert upgraded.returncode == 0, upgraded.stderr
    after = _run(environment, str(BIN / "parentlink"), "rounds", "list")
    assert "No school yet. Create one with: parentlink school create" in after.stderr


def test_gunicorn_refuses_a_wrong_setting_in_one_line(environment):
    environment["PARENTLINK_ENV"] = "production"
    environment["PARENTLINK_SECRET_KEY"] = "x" * 40
    web = _run(
        environment, str(BIN / "gunicorn"), "--preload", "-b", "127.0.0.1:0", "parentlink.wsgi:app"
    )
    assert web.returncode == 3
    assert _one_line(web.stderr).startswith(
        "parentlink: configuration: PARENTLINK_PUBLIC_URL must be the https:// address"
    )


def test_the_web_app_answers_503_and_says_why_in_the_log_when_the_schema_is_gone(tmp_path, caplog):
    from parentlink import create_app

    app = create_app({"ENV_NAME": "test", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/e.db"})
    response = app.test_client().get("/a/QbWx3v9XfZr1Kp0aLmN2cA")
    assert response.status_code == 503 and response.headers["Retry-After"] == "30"
    assert "Please try again in a few minutes" in response.get_data(as_text=True)
    assert UPGRADE in caplog.text
