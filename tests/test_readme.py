"""The README's "Run it for a school" block runs, as written, against a fresh PostgreSQL
database: every command succeeds, the campaign closes in the future, and the web app and the
jobs process it starts come up. Only what cannot run here is changed: the install lines
(this suite already runs in an installation of this checkout; tests/test_schema.py builds
the wheel), the database and gateway addresses (a fresh database, the local fakes), and the
web app's port."""

from __future__ import annotations

import re
import subprocess
import sys
import urllib.request
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.builders import STAFF_PASSWORD, csv_bytes, family_row
from tests.fakes.smtp import CapturingSMTPServer
from tests.fakes.twilio_api import TwilioCompatibleServer
from tests.system.postgres import fresh_database
from tests.system.stack import free_port, wait_until

pytestmark = pytest.mark.own_postgres

REPO = Path(__file__).resolve().parent.parent
INSTALL = ("python3 -m venv", "/opt/parentlink/venv/bin/pip", ". /opt/parentlink/venv/bin/activate")
SERVERS = ("gunicorn ", "parentlink jobs")


def school_block() -> list[str]:
    readme = (REPO / "README.md").read_text()
    section = readme.split("## Run it for a school\n", 1)[1]
    block = re.search(r"```sh\n(.*?)```", section, re.S).group(1)
    return [line for line in block.splitlines() if line.strip()]


def test_the_readme_block_for_a_school_runs(tmp_path):
    lines = school_block()
    assert [line for line in lines if line.startswith(INSTALL)] and any(
        "pip install ." in line for line in lines
    )
    setup = [line for line in lines if not line.startswith(INSTALL + SERVERS)]
    servers = [line.split("#")[0].strip() for line in lines if line.startswith(SERVERS)]
    assert len(servers) == 2
    last_export = max(i for i, line in enumerate(setup) if line.startswith("export "))

    (tmp_path / "deploy").symlink_to(REPO / "deploy")
    (tmp_path / "families.csv").write_bytes(
        csv_bytes([family_row("P1", "C1", pupil_first_name="Amelia"), family_row("P2", "C2")])
    )
    with (
        fresh_database("readme") as database_url,
        TwilioCompatibleServer() as twilio,
        CapturingSMTPServer() as smtp,
    ):
        local = [
            f"export PARENTLINK_DATABASE_URL={database_url}",
            f"export PARENTLINK_INSTANCE_DIR={tmp_path / 'var'}",
            f"export PARENTLINK_TWILIO_API_URL={twilio.base_url}",
            f"export PARENTLINK_TWILIO_ACCOUNT_SID={twilio.account_sid}",
            f"export PARENTLINK_TWILIO_AUTH_TOKEN={twilio.auth_token}",
            f"export PARENTLINK_SMTP_HOST=127.0.0.1 PARENTLINK_SMTP_PORT={smtp.port}",
            "env | grep ^PARENTLINK_ > settings.env",
        ]
        script = setup[: last_export + 1] + local + setup[last_export + 1 :]
        env = {
            "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
            "HOME": str(tmp_path),
            "PARENTLINK_NEW_STAFF_PASSWORD": STAFF_PASSWORD,
        }
        result = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", "\n".join(script)],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode == 0, (result.stdout, result.stderr)
        out = result.stdout
        assert "Database schema is up to date." in out
        assert "Created school Coates Lane Primary School (coates-lane)." in out
        assert "Created admin account for office@example.com." in out
        assert "Launched 'Autumn round': 2 invitations queued" in out
        engine = create_engine(database_url)
        with engine.connect() as connection:  # the README's date is always in the future
            closes = connection.scalar(text("SELECT closes_at FROM campaign"))
        engine.dispose()
        assert closes.date() >= date.today() + timedelta(days=27)

        settings = dict(
            line.split("=", 1) for line in (tmp_path / "settings.env").read_text().splitlines()
        )
        env.update(settings)
        port = free_port()
        web_command = servers[0].split() + ["--bind", f"127.0.0.1:{port}"]
        web = subprocess.Popen(web_command, cwd=tmp_path, env=env, stderr=subprocess.PIPE)
        jobs_log = tmp_path / "jobs.log"
        with open(jobs_log, "wb") as log:
            jobs = subprocess.Popen(servers[1].split(), cwd=tmp_path, env=env, stderr=log)
        try:
            wait_until(
                lambda: (
                    urllib.request.urlopen(  # noqa: S310 - our own local server
                        f"http://127.0.0.1:{port}/office/login", timeout=5
                    ).status
                    == 200
                ),
                "the web app",
                processes=(web, jobs),
            )
            wait_until(
                lambda: re.search(r"jobs: (leading|took over)", jobs_log.read_text()),
                "the jobs process to lead",
            )
        finally:
            for process in (web, jobs):
                process.terminate()
                process.wait(timeout=30)
            web.stderr.close()
