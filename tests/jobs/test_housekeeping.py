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
from parentlink.directory.models import Channel, Contact, Pupil
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
                family_row("P4", "C3", preferred_channel="email"),  # email: no report, ever
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
        statuses = dict(db.session.execute(select(Message.channel, Message.status)).all())
        # The texts never reported are settled; the email the relay accepted stays sent.
        assert statuses == {
            Channel.SMS: MessageStatus.UNDELIVERED,
            Channel.EMAIL: MessageStatus.SENT,
        }
        assert _contact("C3").details_flagged_at is None
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
    assert counts["message_bodies_purged"] == 3 and counts["leaver_contacts_purged"] == 0
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


def test_housekeeping_deletes_old_sign_in_attempts_and_uploads_never_imported(app, clock, client):
    from parentlink.core.jobruns import JobRun
    from parentlink.directory.models import ImportUpload
    from parentlink.office.models import LoginAttempt
    from tests.builders import csrf_token, school

    with app.app_context():
        the_school = school()
        db.session.commit()
        school_id = the_school.id
    page = client.get("/office/login").get_data(as_text=True)
    for _ in range(3):  # wrong passwords, past the growing delay: three attempts recorded
        clock.advance(seconds=20)
        client.post(
            "/office/login",
            data={"csrf_token": csrf_token(page), "email": "x@example.com", "password": "no"},
        )
    with app.app_context():
        for name, committed in (("abandoned.csv", False), ("imported.csv", True)):
            db.session.add(
                ImportUpload(
                    school_id=school_id,
                    filename=name,
                    content=b"" if committed else b"pupil_id,...",
                    committed_at=clock.now() if committed else None,
                )
            )
        db.session.commit()
    runner.bind(app)

    clock.advance(hours=23)  # within a day: an upload may still be previewed and imported
    client.post(
        "/office/login",
        data={"csrf_token": csrf_token(page), "email": "y@example.com", "password": "no"},
    )
    counts = runner.run_job("housekeeping")
    assert counts["abandoned_uploads_deleted"] == 0 and counts["login_attempts_deleted"] == 0
    clock.advance(hours=2)  # 25 hours: the 15-minute lockout and a day's margin have passed
    counts = runner.run_job("housekeeping")
    assert counts["abandoned_uploads_deleted"] == 1 and counts["login_attempts_deleted"] == 3
    with app.app_context():
        assert db.session.scalars(select(ImportUpload.filename)).all() == ["imported.csv"]
        assert db.session.scalars(select(LoginAttempt.email)).all() == ["y@example.com"]
        run = db.session.scalars(
            select(JobRun).where(JobRun.job == "housekeeping").order_by(JobRun.id.desc())
        ).first()
        assert json.loads(run.counts)["login_attempts_deleted"] == 3
        audit = db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.action == "housekeeping")
            .order_by(AuditEvent.id.desc())
        ).first()
        assert json.loads(audit.detail)["abandoned_uploads_deleted"] == 1
