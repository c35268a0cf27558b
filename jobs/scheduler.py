"""The jobs process: one leader runs the schedule; any other process waits as a hot standby.

PostgreSQL (production): leadership is a lease in the database with a fence on every commit
a job makes (parentlink/core/leadership.py). The leader renews its lease every sixth of
it; a standby takes over once it has expired, so within about a lease and a sixth when the
leader dies, freezes (SIGSTOP, a stalled VM) or loses the database. A leader that finds its
lease gone stops its schedule and waits as a standby again; whatever it was running can no
longer commit. SQLite (one host: the demo, a small school): an exclusive lock on a file,
which the operating system drops when the process dies.

Every event is one line in the log (logger `parentlink.jobs`): started, waiting as standby,
leading or took over, lost the lead, each job's outcome, and the jobs not scheduled and why.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import signal
import threading
import time
from pathlib import Path

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from flask import current_app
from sqlalchemy.exc import SQLAlchemyError

from jobs import runner
from jobs.schedule import not_scheduled, parse_intervals, scheduled
from parentlink.core import leadership
from parentlink.db import db

log = logging.getLogger("parentlink.jobs")


class LeaderLock:
    """SQLite's leadership: an exclusive lock on a file, held for the life of the process."""

    def __init__(self) -> None:
        self._file = None

    def try_acquire(self) -> bool:
        path = Path(current_app.config["JOBS_LOCK_PATH"])
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(path, "a+")  # noqa: SIM115 - held for the life of the process
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return False
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        self._file = handle
        return True

    def acquire(self) -> None:
        while not self.try_acquire():
            time.sleep(0.5)

    def release(self) -> None:
        if self._file is not None:
            fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None


def build_scheduler(lease: leadership.Lease | None = None) -> BackgroundScheduler:
    """The schedule, kept in the database; `lease`: the leadership its job runs are fenced by."""
    app = current_app._get_current_object()
    runner.bind(app, lease)
    store = SQLAlchemyJobStore(engine=db.engine, tablename="apscheduler_jobs")
    scheduler = BackgroundScheduler(
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


def _uses_lease() -> bool:
    return db.engine.dialect.name == "postgresql"


def run_forever() -> None:
    """`parentlink jobs`: lead or stand by until SIGTERM/SIGINT."""
    if not logging.getLogger().handlers:  # nothing configured: one line per event, on stderr
        logging.basicConfig(
            level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
        )
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # our own line per run says it
    config = current_app.config
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    names = ", ".join(job.name for job in scheduled(config))
    log.info("jobs: started (pid %s); schedule: %s", os.getpid(), names)
    for name, why in not_scheduled(config).items():
        log.info("jobs: %s not scheduled: %s", name, why)
    if _uses_lease():
        _lead_with_lease(stop, float(config["JOBS_LEASE_SECONDS"]))
    else:
        _lead_with_lock_file(stop)
    log.info("jobs: stopped (pid %s)", os.getpid())


def _lead_with_lock_file(stop: threading.Event) -> None:
    lock = LeaderLock()
    waiting = False
    while not lock.try_acquire():
        if not waiting:
            log.info("jobs: waiting as standby (another process holds %s)", lock_path())
            waiting = True
        if stop.wait(0.5):
            return
    log.info("jobs: %s (pid %s)", "took over as leader" if waiting else "leading", os.getpid())
    scheduler = build_scheduler()
    scheduler.start()
    try:
        stop.wait()
    finally:
        scheduler.shutdown(wait=False)
        lock.release()


def lock_path() -> str:
    return current_app.config["JOBS_LOCK_PATH"]


def _lead_with_lease(stop: threading.Event, seconds: float) -> None:
    engine = db.engine
    holder = leadership.holder_name()
    beat = max(seconds / 6, 0.2)
    while not stop.is_set():
        lease = _wait_for_lease(stop, engine, holder, seconds, beat)
        if lease is None:
            return
        scheduler = build_scheduler(lease=lease)
        scheduler.start()
        try:
            lost = _keep_lease(stop, engine, lease, seconds, beat)
        finally:
            scheduler.shutdown(wait=False)  # a job still running can no longer commit
        if lost:
            log.warning("jobs: lost the lead (%s); back to standby", lost)
        else:
            with contextlib.suppress(SQLAlchemyError):  # else it expires by itself
                leadership.release(engine, lease)


def _wait_for_lease(stop, engine, holder: str, seconds: float, beat: float):
    announced = False
    while not stop.is_set():
        try:
            lease = leadership.try_acquire(engine, holder, seconds)
        except SQLAlchemyError as exc:
            log.warning("jobs: cannot reach the database (%s); trying again", _first_line(exc))
            lease = None
        if lease is not None:
            if lease.previous_holder and lease.previous_holder != holder:
                log.info(
                    "jobs: took over as leader from %s (its lease expired); epoch %s",
                    lease.previous_holder,
                    lease.epoch,
                )
            else:
                log.info("jobs: leading (pid %s); epoch %s", os.getpid(), lease.epoch)
            return lease
        if not announced:
            current = _current_holder(engine)
            log.info("jobs: waiting as standby; the leader is %s", current or "unknown")
            announced = True
        stop.wait(beat)
    return None


def _current_holder(engine) -> str | None:
    try:
        found = leadership.current_holder(engine)
    except SQLAlchemyError:
        return None
    if found is None:
        return None
    name, left = found
    return f"{name} (lease ends in {max(left, 0):.0f} s)"


def _keep_lease(stop, engine, lease, seconds: float, beat: float) -> str | None:
    """Renew until told to stop (None) or until the lease is lost (why)."""
    renewed_at = time.monotonic()
    while not stop.wait(beat):
        try:
            if not leadership.renew(engine, lease, seconds):
                return "another process holds the lease"
            renewed_at = time.monotonic()
        except SQLAlchemyError as exc:
            if time.monotonic() - renewed_at >= seconds:
                return f"no database for {seconds:.0f} s: {_first_line(exc)}"
            log.warning("jobs: could not renew the lease (%s); trying again", _first_line(exc))
    return None


def _first_line(exc: BaseException) -> str:
    return (str(exc).splitlines() or [type(exc).__name__])[0][:200]


def start_in_thread() -> BackgroundScheduler:
    """For the demo: the same schedule in a thread of the demo process (SQLite)."""
    lock = LeaderLock()
    lock.acquire()
    scheduler = build_scheduler()
    scheduler.start()
    return scheduler
