"""The one table of scheduled jobs: what runs, and when."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ScheduledJob:
    name: str  # also the module in jobs/ that holds `run()`
    trigger: str  # "interval" or "cron"
    options: dict
    description: str
    setting: str | None = None  # scheduled only when this setting is not empty
    without_setting: str = ""  # what the log says when it is not scheduled for that


SCHEDULE: tuple[ScheduledJob, ...] = (
    ScheduledJob(
        name="heartbeat",
        trigger="interval",
        options={"seconds": 60},
        description="Show that the jobs process is alive.",
    ),
    ScheduledJob(
        name="concern_alerts",
        trigger="interval",
        options={"seconds": 60},
        description="Alert the safeguarding lead to new concerns; escalate unacknowledged ones.",
    ),
    ScheduledJob(
        name="concern_digest",
        trigger="cron",
        options={"minute": "0", "hour": "8"},
        description="Send the safeguarding lead a digest of open concerns (no details).",
    ),
    ScheduledJob(
        name="housekeeping",
        trigger="cron",
        options={"minute": "15", "hour": "2"},
        description=(
            "Settle unreported messages; purge personal data on schedule; delete old "
            "sign-in attempts and MIS files never imported."
        ),
    ),
    ScheduledJob(
        name="rounds",
        trigger="cron",
        options={"minute": "30", "hour": "7"},  # before the chase and the school day
        description="Plan, announce and start each term's round.",
    ),
    ScheduledJob(
        name="chase",
        trigger="cron",
        options={"minute": "5", "hour": "9-19"},  # hourly in the school's working day
        description="Remind the families who have not answered.",
    ),
    ScheduledJob(
        name="dispatch",
        trigger="interval",
        options={"seconds": 10},
        description="Send queued SMS and email through the gateways.",
    ),
    ScheduledJob(
        name="bounces",
        trigger="interval",
        options={"seconds": 300},
        description="Read bounce reports: mark bounced emails, send by SMS instead.",
        setting="BOUNCE_MAILDIR",
        without_setting="no Maildir configured (PARENTLINK_BOUNCE_MAILDIR)",
    ),
)


def scheduled(config) -> tuple[ScheduledJob, ...]:
    """The jobs this deployment runs (a job tied to a setting only when it is set)."""
    return tuple(job for job in SCHEDULE if not job.setting or config.get(job.setting))


def not_scheduled(config) -> dict[str, str]:
    """The jobs this deployment leaves out, and why."""
    return {
        job.name: job.without_setting or f"{job.setting} is not set"
        for job in SCHEDULE
        if job.setting and not config.get(job.setting)
    }


def parse_intervals(text: str) -> dict[str, int]:
    """PARENTLINK_JOBS_INTERVALS="heartbeat=1,dispatch=2": interval jobs run more often
    (tests, demos). Unknown names or bad numbers are refused."""
    known = {job.name for job in SCHEDULE if job.trigger == "interval"}
    intervals: dict[str, int] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        name, _, seconds = item.partition("=")
        if name not in known or not seconds.isdigit() or int(seconds) < 1:
            raise ValueError(f"PARENTLINK_JOBS_INTERVALS: {item!r} is not <interval job>=<seconds>")
        intervals[name] = int(seconds)
    return intervals
