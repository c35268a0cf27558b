"""Nightly housekeeping: settle unreported messages and purge personal data on schedule.
Each purge is recorded with its counts in the audit log."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app

from parentlink.campaigns.retention import purge_confirmations
from parentlink.core.audit import record
from parentlink.core.clock import now
from parentlink.directory.retention import purge_leaver_contacts
from parentlink.messaging.housekeeping import purge_bodies, settle_unreported


def run() -> dict:
    config = current_app.config
    at = now()
    counts = {
        "settled": settle_unreported(at),
        "message_bodies_purged": purge_bodies(at, config["RETAIN_MESSAGE_BODIES_DAYS"]),
        "leaver_contacts_purged": purge_leaver_contacts(
            (at - timedelta(days=config["RETAIN_LEAVER_CONTACTS_DAYS"])).date()
        ),
        "confirmations_purged": purge_confirmations(
            at - timedelta(days=config["RETAIN_CONFIRMATIONS_DAYS"])
        ),
    }
    record("housekeeping", actor="system:jobs", **counts)
    return counts
