"""Runs one job inside the app: its own app context and transaction, its run recorded.

Each run is recorded in `job_run` (started, finished, outcome, counts, error) so the office
can see what ran and what failed; a failing job is logged and recorded, never raised into
the scheduler.
"""

from __future__ import annotations

import importlib
import logging
import os
import socket

from flask import Flask

from parentlink.core.clock import now
from parentlink.core.jobruns import JobRun
from parentlink.db import db, transaction

log = logging.getLogger("parentlink.jobs")
_app: Flask | None = None


def bind(app: Flask) -> None:
    global _app
    _app = app


def run_job(name: str) -> dict | None:
    """The entry point APScheduler calls (by name, so the job store can keep it)."""
    if _app is None:
        raise RuntimeError("jobs.runner.bind(app) was not called")
    module = importlib.import_module(f"jobs.{name}")
    with _app.app_context():
        try:
            with transaction():
                run = JobRun(
                    job=name, host=socket.gethostname()[:120], pid=os.getpid(), started_at=now()
                )
                db.session.add(run)
            run_id = run.id
            try:
                result = module.run()
                with transaction():
                    db.session.get(JobRun, run_id).finish(now(), result)
            except Exception as exc:
                db.session.rollback()
                log.exception("job %s failed", name)
                with transaction():
                    db.session.get(JobRun, run_id).fail(now(), f"{type(exc).__name__}: {exc}")
                return None
            log.info("job %s: %s", name, result)
            return result
        finally:
            db.session.remove()
