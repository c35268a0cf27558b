"""Send what is due in the outbox."""

from parentlink.messaging.dispatcher import dispatch_pending


def run() -> dict:
    counts = dispatch_pending()
    return {
        "claimed": counts.claimed,
        "accepted": counts.accepted,
        "retrying": counts.retrying,
        "failed": counts.failed,
        "bounced": counts.bounced,  # refused for the recipient at send time
        "reconciled": counts.reconciled,  # abandoned attempts settled with the provider
    }
