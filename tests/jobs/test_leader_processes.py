"""Two real `parentlink jobs` processes: one leads, the other waits; kill the leader and the
standby takes over. Each due time runs once. (PostgreSQL advisory lock when
PARENTLINK_TEST_DATABASE_URL is set, a lock file on SQLite.)"""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import time

from sqlalchemy import select

from parentlink.core.jobruns import JobOutcome, JobRun
from parentlink.db import db

HEARTBEAT = 1  # seconds between heartbeat runs in this test


def _start(app, log_path, opened: list) -> subprocess.Popen:
    env = {
        **os.environ,
        "PARENTLINK_ENV": "test",
        "PARENTLINK_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "PARENTLINK_JOBS_LOCK": app.config["JOBS_LOCK_PATH"],
        "PARENTLINK_JOBS_INTERVALS": f"heartbeat={HEARTBEAT}",
        "PARENTLINK_JOBS_LEASE_SECONDS": "3",
        "PARENTLINK_SANDBOX_OUTBOX": app.config["SANDBOX_OUTBOX_PATH"],
    }
    code = "from parentlink.cli import main; main(['jobs'])"
    log = log_path.open("w")
    opened.append(log)
    return subprocess.Popen(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", code], env=env, stdout=log, stderr=subprocess.STDOUT
    )


def _heartbeats(app) -> list[JobRun]:
    with app.app_context():
        runs = db.session.scalars(
            select(JobRun).where(JobRun.job == "heartbeat").order_by(JobRun.id)
        ).all()
        db.session.remove()
        return runs


def _wait_for(condition, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.25)
    return False


def test_one_leader_runs_each_job_once_and_a_standby_takes_over(app, tmp_path):
    logs: list = []
    first = _start(app, tmp_path / "first.log", logs)
    second = None
    try:
        assert _wait_for(lambda: len(_heartbeats(app)) >= 2, 30), (
            tmp_path / "first.log"
        ).read_text()
        second = _start(app, tmp_path / "second.log", logs)
        standing_by = _wait_for(
            lambda: "waiting as standby" in (tmp_path / "second.log").read_text(), 30
        )
        assert standing_by, (tmp_path / "second.log").read_text()
        time.sleep(4 * HEARTBEAT)
        runs = _heartbeats(app)
        assert {run.pid for run in runs} == {first.pid}, (
            "the standby ran jobs while the leader lived"
        )
        gaps = [(b.started_at - a.started_at).total_seconds() for a, b in itertools.pairwise(runs)]
        assert min(gaps) > 0.5 * HEARTBEAT, f"a due time ran twice: {gaps}"
        assert all(run.outcome is JobOutcome.OK for run in runs[:-1])

        first.send_signal(signal.SIGKILL)
        first.wait(10)
        taken_over = _wait_for(lambda: any(run.pid == second.pid for run in _heartbeats(app)), 60)
        assert taken_over, (tmp_path / "second.log").read_text()
        after = [run for run in _heartbeats(app) if run.pid == second.pid]
        assert after[0].started_at > runs[-1].started_at
        # The process says what it is doing, one line per event.
        first_log = (tmp_path / "first.log").read_text()
        second_log = (tmp_path / "second.log").read_text()
        assert "jobs: started" in first_log
        assert "jobs: bounces not scheduled: no Maildir configured" in first_log
        assert "jobs: leading" in first_log
        assert "job heartbeat: ok alive=1" in first_log
        assert "jobs: waiting as standby" in second_log
        assert "jobs: took over as leader" in second_log
        assert "Traceback" not in first_log + second_log
    finally:
        for process in (first, second):
            if process is not None and process.poll() is None:
                process.terminate()
                try:
                    process.wait(10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(5)
        for log in logs:
            log.close()
