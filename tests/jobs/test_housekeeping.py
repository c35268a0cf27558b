"""Nightly housekeeping: unreported messages settled; personal data purged on schedule,
each purge counted in the audit log."""

from __future__ import annotations

import json

from sqlalchemy import select

from jobs import runner
from parentlink.campaigns.models import Confirmation
from parentlink.campaigns.services import confirm, find_invitation
from parentlink.core.audit import AuditEvent
from parentlink.db import db
from parentlink.directory.models import Contact, Pupil
from parentlink.messaging.dispatcher import dispatch_pending
from parentlink.messaging.housekeeping import PURGED
from parentlink.messaging.models import DeliveryEvent, Message, MessageStatus
from tests.builders import family_row, launched


def _contact(mis_id: str) -> Contact:
    return db.session.scalar(select(Contact).where(Contact.mis_id == mis_id))


def test_housekeeping_settles_then_purges_on_schedule(app, clock):
    with app.app_context():
        launched(
            [
                family_row("P1", "C1"),
                family_row("P2", "C2"),
                family_row("P3", "C2"),  # C2 keeps a child at school
            ]
        )
        token = db.session.scalar(select(Message.link_token).where(Message.contact_id == 1))
        confirm(find_invitation(token), typed_name="Carer One", ip_address=None, user_agent=None)
        dispatch_pending()
        db.session.commit()
    runner.bind(app)

    clock.advance(hours=71)
    assert runner.run_job("housekeeping")["settled"] == 0
    clock.advance(hours=2)
    counts = runner.run_job("housekeeping")
    assert counts["settled"] == 2 and counts["message_bodies_purged"] == 0
    with app.app_context():
        assert set(db.session.scalars(select(Message.status))) == {MessageStatus.UNDELIVERED}
        assert (
            db.session.scalar(
                select(DeliveryEvent.detail).where(DeliveryEvent.source == "housekeeping")
            )
            == "no delivery report within 72 hours"
        )
        # Two children leave; one of C2's children stays.
        for mis_id in ("P1", "P2"):
            db.session.scalar(
                select(Pupil).where(Pupil.mis_id == mis_id)
            ).left_on = clock.now().date()
        db.session.commit()

    clock.advance(days=91)
    counts = runner.run_job("housekeeping")
    assert counts["message_bodies_purged"] == 2 and counts["leaver_contacts_purged"] == 0
    with app.app_context():
        assert set(db.session.scalars(select(Message.body))) == {PURGED}

    clock.advance(days=366)
    assert runner.run_job("housekeeping")["leaver_contacts_purged"] == 1
    with app.app_context():
        gone, kept = _contact("C1"), _contact("C2")
        assert (gone.first_name, gone.mobile, gone.email) == ("(removed)", None, None)
        assert kept.mobile == "+447700900002"
        assert db.session.scalar(select(Confirmation.id)) is not None  # evidence stays

    clock.advance(days=6 * 365)
    assert runner.run_job("housekeeping")["confirmations_purged"] == 1
    with app.app_context():
        assert db.session.scalar(select(Confirmation.id)) is None
        audits = [
            json.loads(e.detail)
            for e in db.session.scalars(
                select(AuditEvent).where(AuditEvent.action == "housekeeping")
            )
        ]
        assert len(audits) == 5
        assert audits[-1]["confirmations_purged"] == 1


def test_housekeeping_twice_purges_nothing_twice(app, clock):
    with app.app_context():
        launched([family_row("P1", "C1")])
        dispatch_pending()
        db.session.commit()
    runner.bind(app)
    clock.advance(days=91)
    first, second = runner.run_job("housekeeping"), runner.run_job("housekeeping")
    assert first["message_bodies_purged"] == 1 and second["message_bodies_purged"] == 0
    assert second["settled"] == 0
