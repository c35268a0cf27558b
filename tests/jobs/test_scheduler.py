"""The jobs process: one leader at a time, the schedule kept in the database, jobs that run."""

from __future__ import annotations

import threading

from sqlalchemy import inspect, select

from jobs import runner
from jobs.scheduler import LeaderLock, build_scheduler
from parentlink.db import db
from parentlink.messaging.models import Message, MessageStatus
from tests.builders import family_row, launched


def test_a_second_scheduler_waits_until_the_leader_lets_go(app):
    """SQLite: a lock file; PostgreSQL: an advisory lock. Either way the second waits."""
    acquired = threading.Event()

    def standby() -> None:
        with app.app_context():
            lock = LeaderLock()
            lock.acquire()
            acquired.set()
            lock.release()

    with app.app_context():
        leader = LeaderLock()
        leader.acquire()
        thread = threading.Thread(target=standby, daemon=True)
        thread.start()
        assert not acquired.wait(1.0), "the standby became leader while the leader was alive"
        leader.release()
        assert acquired.wait(10.0), "the standby did not take over when the leader let go"
        thread.join(5)


def test_the_schedule_is_kept_in_the_database(app):
    with app.app_context():
        scheduler = build_scheduler()
        scheduler.start(paused=True)
        try:
            jobs = {job.id: job for job in scheduler.get_jobs()}
            assert "dispatch" in jobs
            assert jobs["dispatch"].next_run_time is not None
            assert "apscheduler_jobs" in inspect(db.engine).get_table_names()
        finally:
            scheduler.shutdown(wait=False)


def test_the_dispatch_job_sends_what_is_due(app):
    with app.app_context():
        launched([family_row("P1", "C1"), family_row("P2", "C2", preferred_channel="email")])
    runner.bind(app)
    assert runner.run_job("dispatch") == {
        "claimed": 2,
        "accepted": 2,
        "retrying": 0,
        "failed": 0,
        "bounced": 0,
        "reconciled": 0,
    }
    assert runner.run_job("dispatch")["claimed"] == 0  # running it again sends nothing twice
    with app.app_context():
        statuses = db.session.scalars(select(Message.status)).all()
        assert statuses == [MessageStatus.SENT, MessageStatus.SENT]
