"""Runs one job inside the app: its own app context and transactions, its run recorded.

Each run is recorded in `job_run` (started, finished, outcome, counts, error) so the office
can see what ran and what failed, and logged in one line; a failing job is logged and
recorded, never raised into the scheduler. Under a lease (PostgreSQL) every commit of the
run is fenced: a process that is no longer the leader commits nothing, not even the record
of its run (parentlink/core/leadership.py).
"""

from __future__ import annotations

import importlib
import logging
import os
import socket

from flask import Flask

from parentlink.core.clock import now
from parentlink.core.jobruns import JobRun
from parentlink.core.leadership import Lease, NotLeader, fenced
from parentlink.db import db, transaction

log = logging.getLogger("parentlink.jobs")
_app: Flask | None = None
_lease: Lease | None = None


def bind(app: Flask, lease: Lease | None = None) -> None:
    global _app, _lease
    _app = app
    _lease = lease


def run_job(name: str) -> dict | None:
    """The entry point APScheduler calls (by name, so the job store can keep it)."""
    if _app is None:
        raise RuntimeError("jobs.runner.bind(app) was not called")
    module = importlib.import_module(f"jobs.{name}")
    with _app.app_context(), fenced(_lease):
        try:
            return _run(name, module)
        except NotLeader as exc:
            db.session.rollback()
            log.warning("job %s: not committed: %s", name, exc)
            return None
        finally:
            db.session.remove()


def _run(name: str, module) -> dict | None:
    with transaction():
        run = JobRun(job=name, host=socket.gethostname()[:120], pid=os.getpid(), started_at=now())
        db.session.add(run)
    run_id = run.id
    try:
        result = module.run()
        with transaction():
            db.session.get(JobRun, run_id).finish(now(), result)
    except NotLeader:
        raise
    except Exception as exc:
        db.session.rollback()
        error = f"{type(exc).__name__}: {exc}"
        # One line: the exception's first line (never the statement's parameters).
        log.error("job %s: failed: %s", name, error.splitlines()[0][:300])
        log.debug("job %s: traceback", name, exc_info=True)
        with transaction():
            db.session.get(JobRun, run_id).fail(now(), error)
        return None
    log.info("job %s: ok %s", name, _summary(result))
    return result


def _summary(result: dict | None) -> str:
    """The counts a job returns, as `key=value` pairs (numbers and reasons, never people)."""
    if not result:
        return "(nothing to report)"
    return " ".join(f"{key}={value}" for key, value in result.items())
