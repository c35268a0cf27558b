"""The jobs panel: each scheduled job's last run, its outcome and counts, and its next run."""

from __future__ import annotations

import json

from flask import current_app, render_template
from sqlalchemy import inspect, text

from jobs.schedule import SCHEDULE
from parentlink.core.jobruns import last_runs
from parentlink.db import db


def _next_run_times() -> dict[str, float]:
    """Read from APScheduler's job store table (written by the jobs process)."""
    if "apscheduler_jobs" not in inspect(db.engine).get_table_names():
        return {}
    rows = db.session.execute(text("SELECT id, next_run_time FROM apscheduler_jobs"))
    return {row.id: row.next_run_time for row in rows}


# Their counts would tell an administrator when a family reported a concern: only the
# safeguarding lead may know that (the page still shows when they ran and whether they failed).
CONCERN_JOBS = frozenset({"concern_alerts", "concern_digest"})


def _counts(job, run) -> dict:
    if run is None or not run.counts or job.name in CONCERN_JOBS:
        return {}
    return json.loads(run.counts)


def panel():
    runs = {run.job: run for run in last_runs()}
    next_times = _next_run_times()
    rows = [
        {
            "job": job,
            "run": runs.get(job.name),
            "counts": _counts(job, runs.get(job.name)),
            "next_run": next_times.get(job.name),
            # a job tied to a setting is not configured here, which is not "not running"
            "configured": not job.setting or bool(current_app.config.get(job.setting)),
        }
        for job in SCHEDULE
    ]
    return render_template("office/jobs.html", rows=rows, running=bool(next_times))
