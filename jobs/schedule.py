"""The one table of scheduled jobs: what runs, and when."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ScheduledJob:
    name: str  # also the module in jobs/ that holds `run()`
    trigger: str  # "interval" or "cron"
    options: dict
    description: str


SCHEDULE: tuple[ScheduledJob, ...] = (
    ScheduledJob(
        name="dispatch",
        trigger="interval",
        options={"seconds": 10},
        description="Send queued SMS and email through the gateways.",
    ),
)
