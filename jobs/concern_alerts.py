"""Alert the safeguarding lead to new concerns at once; escalate unacknowledged ones."""

from parentlink.concerns.alerts import run_alerts


def run() -> dict:
    counts = run_alerts()
    return {"alerted": counts.alerted, "escalated": counts.escalated}
