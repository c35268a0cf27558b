"""Read the bounce reports (DSNs) the mail server delivered to the bounce Maildir."""

from flask import current_app

from parentlink.messaging.bounces import ingest_maildir


def run() -> dict:
    path = current_app.config["BOUNCE_MAILDIR"]
    if not path:  # scheduled before the setting was removed (the job store keeps jobs)
        return {"skipped": "PARENTLINK_BOUNCE_MAILDIR is not set"}
    return ingest_maildir(path).as_dict()
