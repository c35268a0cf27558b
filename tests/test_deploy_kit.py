"""The deployment kit names every setting ParentLink reads, and its files fit together."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
VARIABLE = re.compile(r"PARENTLINK_[A-Z_]*[A-Z]")


def _read_by_the_app() -> set[str]:
    return set(VARIABLE.findall((REPO / "parentlink" / "config.py").read_text()))


def test_the_environment_file_and_the_readme_name_every_setting():
    read = _read_by_the_app()
    assert {"PARENTLINK_PUBLIC_URL", "PARENTLINK_DB_STATEMENT_TIMEOUT"} <= read
    example = set(VARIABLE.findall((REPO / "deploy" / "parentlink.env.example").read_text()))
    assert read - example == set()
    readme = set(VARIABLE.findall((REPO / "README.md").read_text()))
    assert read - readme == set()


def test_the_units_start_what_the_readme_and_the_kit_describe():
    web = (REPO / "deploy" / "systemd" / "parentlink-web.service").read_text()
    jobs = (REPO / "deploy" / "systemd" / "parentlink-jobs.service").read_text()
    assert "gunicorn -c /etc/parentlink/gunicorn.conf.py parentlink.wsgi:app" in web
    # the control socket goes where the unit may write (ProtectHome hides ~/.gunicorn)
    assert "RuntimeDirectory=parentlink" in web and "ProtectHome=yes" in web
    assert "bin/parentlink jobs" in jobs
    for unit in (web, jobs):
        assert "EnvironmentFile=/etc/parentlink/parentlink.env" in unit
        assert "User=parentlink" in unit
