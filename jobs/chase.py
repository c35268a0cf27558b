"""Chase the families who have not answered (school days, inside the sending window)."""

from parentlink.campaigns.chase import chase_all


def run() -> dict:
    counts = chase_all()
    return {"campaigns": counts.campaigns, "reminded": counts.reminded, "messages": counts.messages}
