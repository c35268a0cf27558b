"""The jobs process: one leader runs the schedule; any other process waits as a hot standby.

Leadership is a lock held for the life of the process: a PostgreSQL advisory lock on its
own connection, or an exclusive lock on a file for SQLite. When the leader dies its lock
goes with it and a waiting standby takes over.
"""

from __future__ import annotations

import fcntl
import logging
import os
import signal
from pathlib import Path

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from flask import current_app
from sqlalchemy import text

from jobs import runner
from jobs.schedule import parse_intervals, scheduled
from parentlink.db import db

log = logging.getLogger("parentlink.jobs")
ADVISORY_LOCK_KEY = 0x50_4C_4A_4F  # "PLJO"


class LeaderLock:
    """Blocks in acquire() until this process is the only scheduler."""

    def __init__(self) -> None:
        self._connection = None
        self._file = None

    def acquire(self) -> None:
        engine = db.engine
        if engine.dialect.name == "postgresql":
            self._connection = engine.connect()
            self._connection.execute(text("SELECT pg_advisory_lock(:k)"), {"k": ADVISORY_LOCK_KEY})
            self._connection.commit()
        else:
            path = Path(current_app.config["JOBS_LOCK_PATH"])
            path.parent.mkdir(parents=True, exist_ok=True)
            self._file = open(path, "a+")  # noqa: SIM115 - held for the life of the process
            fcntl.flock(self._file, fcntl.LOCK_EX)
            self._file.seek(0)
            self._file.truncate()
            self._file.write(f"{os.getpid()}\n")
            self._file.flush()

    def release(self) -> None:
        if self._connection is not None:
            # Closing only returns the connection to the pool, where a session-level lock
            # would live on: unlock explicitly, then drop the connection altogether.
            self._connection.execute(
                text("SELECT pg_advisory_unlock(:k)"), {"k": ADVISORY_LOCK_KEY}
            )
            self._connection.invalidate()
            self._connection.close()
            self._connection = None
        if self._file is not None:
            fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None


def build_scheduler(blocking: bool = True):
    app = current_app._get_current_object()
    runner.bind(app)
    store = SQLAlchemyJobStore(engine=db.engine, tablename="apscheduler_jobs")
    cls = BlockingScheduler if blocking else BackgroundScheduler
    scheduler = cls(
        jobstores={"default": store},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 300},
        timezone="Europe/London",
    )
    intervals = parse_intervals(app.config.get("JOBS_INTERVALS", ""))
    for job in scheduled(app.config):
        options = dict(job.options)
        if job.name in intervals:
            options = {"seconds": intervals[job.name]}
        scheduler.add_job(
            "jobs.runner:run_job",
            job.trigger,
            args=[job.name],
            id=job.name,
            name=job.description,
            replace_existing=True,
            **options,
        )
    return scheduler


def run_forever() -> None:
    lock = LeaderLock()
    log.info("jobs: waiting to become the leader")
    lock.acquire()
    log.info(
        "jobs: leader (pid %s); running %d jobs", os.getpid(), len(scheduled(current_app.config))
    )
    scheduler = build_scheduler(blocking=True)
    signal.signal(signal.SIGTERM, lambda *_: scheduler.shutdown(wait=False))
    try:
        scheduler.start()
    finally:
        lock.release()
        log.info("jobs: stopped (pid %s)", os.getpid())


def start_in_thread() -> BackgroundScheduler:
    """For the demo: the same schedule in a thread of the demo process."""
    lock = LeaderLock()
    lock.acquire()
    scheduler = build_scheduler(blocking=False)
    scheduler.start()
    return scheduler
