"""Nightly housekeeping: settle unreported messages and purge personal data on schedule;
delete sign-in attempts no limit reads any more and MIS files uploaded but never imported.
Each purge is recorded with its counts in the audit log."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app

from parentlink.campaigns.retention import purge_confirmations
from parentlink.core.audit import record
from parentlink.core.clock import now
from parentlink.directory.retention import purge_abandoned_uploads, purge_leaver_contacts
from parentlink.messaging.housekeeping import purge_bodies, settle_unreported
from parentlink.office.retention import purge_login_attempts


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
        "login_attempts_deleted": purge_login_attempts(at),
        "abandoned_uploads_deleted": purge_abandoned_uploads(
            at - timedelta(hours=config["RETAIN_ABANDONED_UPLOADS_HOURS"])
        ),
    }
    record("housekeeping", actor="system:jobs", **counts)
    return counts
