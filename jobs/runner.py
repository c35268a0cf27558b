"""Runs one job inside the app: its own app context, its outcome logged, never raised."""

from __future__ import annotations

import importlib
import logging

from flask import Flask

from parentlink.db import db

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
            result = module.run()
        except Exception:
            db.session.rollback()
            log.exception("job %s failed", name)
            return None
        finally:
            db.session.remove()
    log.info("job %s: %s", name, result)
    return result
