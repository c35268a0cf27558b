"""Plan, announce and start each term's round of asking."""

from parentlink.campaigns.rounds import run_rounds


def run() -> dict:
    counts = run_rounds()
    return {
        "planned": counts.planned,
        "notified": counts.notified,
        "started": counts.started,
        "skipped": counts.skipped,
    }
