"""The jobs lease and its fence, on the test database (SQLite, or PostgreSQL when
PARENTLINK_TEST_DATABASE_URL is set): one holder at a time; a lease taken over makes every
later commit of the old holder's job fail."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from jobs import runner
from parentlink.core import leadership
from parentlink.core.jobruns import JobRun
from parentlink.core.leadership import NotLeader, fenced
from parentlink.db import db, transaction


def test_one_holder_at_a_time_and_a_standby_takes_an_expired_lease(ctx):
    engine = db.engine
    first = leadership.try_acquire(engine, "host-a:1:aa", seconds=1.0)
    assert first is not None and first.previous_holder is None
    assert leadership.try_acquire(engine, "host-b:2:bb", seconds=1.0) is None
    assert leadership.renew(engine, first, seconds=1.0)
    time.sleep(1.2)  # the leader froze: its lease ran out
    second = leadership.try_acquire(engine, "host-b:2:bb", seconds=30.0)
    assert second is not None
    assert second.previous_holder == "host-a:1:aa"
    assert second.epoch == first.epoch + 1
    assert not leadership.renew(engine, first, seconds=30.0), "the old leader renewed a lost lease"


def test_a_job_of_the_old_leader_commits_nothing_after_a_takeover(app):
    with app.app_context():
        engine = db.engine
        old = leadership.try_acquire(engine, "host-a:1:aa", seconds=0.5)
        time.sleep(0.7)
        assert leadership.try_acquire(engine, "host-b:2:bb", seconds=30.0) is not None
        with fenced(old), pytest.raises(NotLeader), transaction():
            db.session.add(JobRun(job="chase", host="host-a", pid=1, started_at=_now()))
        db.session.remove()
        assert db.session.scalars(select(JobRun)).all() == []
    # Through the runner: the run is not even recorded, and nothing is raised.
    runner.bind(app, old)
    assert runner.run_job("heartbeat") is None
    with app.app_context():
        assert db.session.scalars(select(JobRun)).all() == []


def test_the_leaders_own_job_commits(app):
    with app.app_context():
        lease = leadership.try_acquire(db.engine, "host-a:1:aa", seconds=30.0)
    runner.bind(app, lease)
    assert runner.run_job("heartbeat") == {"alive": 1}
    with app.app_context():
        assert [run.job for run in db.session.scalars(select(JobRun))] == ["heartbeat"]


def test_a_clean_stop_lets_a_standby_in_at_once(ctx):
    lease = leadership.try_acquire(db.engine, "host-a:1:aa", seconds=30.0)
    leadership.release(db.engine, lease)
    assert leadership.try_acquire(db.engine, "host-b:2:bb", seconds=30.0) is not None


def _now():
    from parentlink.core.clock import now

    return now()
