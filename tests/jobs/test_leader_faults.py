"""One leader, whatever happens: two real `parentlink jobs` processes on a PostgreSQL cluster
of the test's own, and the faults real deployments meet: the leader killed (SIGKILL),
frozen (SIGSTOP, then thawed), cut off from the database (its connections ended by the
server, which refuses new ones for longer than the lease), and the server restarted. Each
time a job runs at most once at a time, the standby takes over within 60 s when the leader
is gone, and a leader that comes back commits nothing more: it logs that it lost the lead."""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import time

import pytest
from sqlalchemy import create_engine, select, text

from parentlink import create_app
from parentlink.core.jobruns import JobRun
from parentlink.db import db
from tests.jobs.own_postgres import OwnPostgres

HEARTBEAT = 1  # seconds between heartbeat runs
LEASE = 3  # the jobs lease, in seconds: a takeover within about 3.5 s

pytestmark = pytest.mark.own_postgres


@pytest.fixture(scope="module")
def cluster():
    own = OwnPostgres().init()
    app = create_app({"ENV_NAME": "test", "SQLALCHEMY_DATABASE_URI": own.url})
    with app.app_context():
        from parentlink.schema import upgrade

        upgrade()
        db.engine.dispose()
    yield own
    own.destroy()


@pytest.fixture
def pg(cluster):
    engine = create_engine(cluster.url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(
            text("DROP TABLE IF EXISTS apscheduler_jobs; TRUNCATE job_run, job_lease")
        )
        for role in ("jobs_a", "jobs_b"):  # each process logs in as a role of its own
            if not connection.scalar(
                text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}
            ):
                connection.execute(text(f"CREATE ROLE {role} SUPERUSER"))
            connection.execute(text(f"ALTER ROLE {role} LOGIN"))
    yield cluster, engine
    engine.dispose()


class Jobs:
    """A `parentlink jobs` process, logged in to the cluster as the role `name`."""

    def __init__(self, cluster: OwnPostgres, name: str, tmp_path) -> None:
        self.name = name
        self.log_path = tmp_path / f"{name}.log"
        env = {k: v for k, v in os.environ.items() if not k.startswith("PARENTLINK_")}
        env.update(
            PARENTLINK_ENV="test",
            PARENTLINK_DATABASE_URL=cluster.url.replace("//postgres@", f"//{name}@"),
            PARENTLINK_JOBS_INTERVALS=f"heartbeat={HEARTBEAT}",
            PARENTLINK_JOBS_LEASE_SECONDS=str(LEASE),
            PARENTLINK_SANDBOX_OUTBOX=str(tmp_path / "outbox.jsonl"),
        )
        self._log = self.log_path.open("w")
        code = "from parentlink.cli import main; main(['jobs'])"
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and code
            [sys.executable, "-c", code], env=env, stdout=self._log, stderr=subprocess.STDOUT
        )
        self.pid = self.process.pid

    def log(self) -> str:
        return self.log_path.read_text()

    def end(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self._log.close()


@pytest.fixture
def processes(pg, tmp_path):
    cluster, _ = pg
    started: list[Jobs] = []

    def start(name: str) -> Jobs:
        jobs = Jobs(cluster, name, tmp_path)
        started.append(jobs)
        return jobs

    yield start
    for jobs in started:
        jobs.end()


def _runs(engine) -> list:
    for _ in range(40):  # the server may be restarting
        try:
            with engine.connect() as connection:
                return connection.execute(
                    select(JobRun.pid, JobRun.started_at, JobRun.finished_at)
                    .where(JobRun.job == "heartbeat")
                    .order_by(JobRun.started_at)
                ).all()
        except Exception:  # noqa: BLE001 - not up yet
            time.sleep(0.5)
    raise AssertionError("the test cluster did not come back")


def _wait_for(condition, timeout: float) -> float | None:
    """Seconds it took, or None."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if condition():
            return time.monotonic() - start
        time.sleep(0.25)
    return None


def _leader_and_standby(engine, start):
    leader = start("jobs_a")
    assert _wait_for(lambda: len(_runs(engine)) >= 2, 30) is not None, leader.log()
    standby = start("jobs_b")
    assert _wait_for(lambda: "waiting as standby" in standby.log(), 60) is not None, standby.log()
    time.sleep(2 * LEASE)
    assert {run.pid for run in _runs(engine)} == {leader.pid}, "two leaders at once"
    return leader, standby


def _assert_one_at_a_time(runs) -> None:
    """No two heartbeat runs overlap, and the leader never changes back and forth."""
    for a, b in itertools.pairwise(runs):
        assert a.finished_at is not None and a.finished_at <= b.started_at, (a, b)
    changes = [pid for pid, _ in itertools.groupby(run.pid for run in runs)]
    assert len(changes) == len(set(changes)), f"leadership went back and forth: {changes}"


def _took_over(engine, standby: Jobs) -> float | None:
    return _wait_for(lambda: any(run.pid == standby.pid for run in _runs(engine)), 60)


def test_a_killed_leader_is_replaced_within_a_minute(pg, processes):
    _, engine = pg
    leader, standby = _leader_and_standby(engine, processes)
    leader.process.send_signal(signal.SIGKILL)
    leader.process.wait(10)
    assert _took_over(engine, standby) is not None, standby.log()
    assert "took over as leader from" in standby.log()
    _assert_one_at_a_time(_runs(engine))


def test_a_frozen_leader_is_replaced_and_commits_nothing_when_it_wakes(pg, processes):
    _, engine = pg
    leader, standby = _leader_and_standby(engine, processes)
    leader.process.send_signal(signal.SIGSTOP)
    assert _took_over(engine, standby) is not None, standby.log()
    leader.process.send_signal(signal.SIGCONT)
    assert _wait_for(lambda: "lost the lead" in leader.log(), 30) is not None, leader.log()
    time.sleep(2 * HEARTBEAT)
    runs = _runs(engine)
    _assert_one_at_a_time(runs)
    first_of_standby = next(run.started_at for run in runs if run.pid == standby.pid)
    assert not [r for r in runs if r.pid == leader.pid and r.started_at > first_of_standby]


def test_a_leader_cut_off_from_the_database_is_replaced(pg, processes):
    _, engine = pg
    leader, standby = _leader_and_standby(engine, processes)
    with engine.connect() as connection:  # the server refuses it and ends its connections
        connection.execute(text(f"ALTER ROLE {leader.name} NOLOGIN"))
        connection.execute(
            text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = :n"),
            {"n": leader.name},
        )
    assert _took_over(engine, standby) is not None, leader.log() + standby.log()
    with engine.connect() as connection:  # the network comes back
        connection.execute(text(f"ALTER ROLE {leader.name} LOGIN"))
    assert _wait_for(lambda: "lost the lead" in leader.log(), 30) is not None, leader.log()
    time.sleep(2 * HEARTBEAT)
    _assert_one_at_a_time(_runs(engine))


def test_the_jobs_carry_on_after_a_database_restart(pg, processes):
    cluster, engine = pg
    leader, standby = _leader_and_standby(engine, processes)
    engine.dispose()
    cluster.restart(down_seconds=2 * LEASE)  # down for longer than the lease
    before = len(_runs(engine))
    assert _wait_for(lambda: len(_runs(engine)) >= before + 3, 60) is not None, (
        leader.log() + standby.log()
    )
    _assert_one_at_a_time(_runs(engine))
    assert leader.process.poll() is None and standby.process.poll() is None
