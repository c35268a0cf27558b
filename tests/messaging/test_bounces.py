"""Bounces: a recipient refused at send time, and DSNs read later from a real Maildir.

The DSN samples in tests/messaging/dsn/ are written as Postfix and Exchange Online send
them; @@VERP@@, @@MESSAGE_ID@@, @@RECIPIENT@@ and @@LOCALPART@@ are filled in per test.
"""

from __future__ import annotations

import logging
import mailbox
from pathlib import Path

import pytest
from sqlalchemy import select

from jobs import runner
from jobs.schedule import scheduled
from parentlink.core.jobruns import JobOutcome, JobRun
from parentlink.db import db
from parentlink.directory.models import Channel, Contact
from parentlink.messaging.bounces import UNRECOGNISED, ingest_maildir, message_id_from
from parentlink.messaging.dispatcher import dispatch_pending
from parentlink.messaging.models import DeliveryEvent, Message, MessageStatus
from tests.builders import family_row, launched, staff
from tests.office.sign_in import sign_in

SAMPLES = Path(__file__).parent / "dsn"


@pytest.fixture
def maildir(tmp_path) -> Path:
    path = tmp_path / "bounces"
    mailbox.Maildir(path, create=True)
    return path


@pytest.fixture
def app_config(twilio_server, smtp_server, maildir) -> dict:
    return {
        **twilio_server.app_config(),
        **smtp_server.app_config(),
        "SMS_PER_SECOND": 0,
        "EMAIL_PER_SECOND": 0,
        "BOUNCE_ADDRESS": "bounces@parentlink.example.com",
        "BOUNCE_MAILDIR": str(maildir),
    }


@pytest.fixture
def sent_email(app, smtp_server):
    """One invitation email accepted by the SMTP server: (message id, its VERP address)."""
    with app.app_context():
        launched([family_row("P1", "C1", preferred_channel="email")])
        dispatch_pending()
        db.session.commit()
        message = db.session.scalar(select(Message))
        assert message.status is MessageStatus.SENT, message.last_error
        message_id, message_ref = message.id, message.message_ref
    (mail,) = smtp_server.wait_for(1)
    return {"id": message_id, "verp": mail.mail_from, "ref": message_ref}


def deliver(maildir: Path, sample: str, sent: dict, recipient: str = "carer1@example.com"):
    text = (SAMPLES / sample).read_text()
    for placeholder, value in {
        "@@VERP@@": sent["verp"],
        "@@MESSAGE_ID@@": sent["ref"],
        "@@RECIPIENT@@": recipient,
        "@@LOCALPART@@": recipient.split("@")[0],
    }.items():
        text = text.replace(placeholder, value)
    return mailbox.Maildir(maildir, create=False).add(text.encode())


def _messages() -> list[Message]:
    db.session.expire_all()
    return db.session.scalars(select(Message).order_by(Message.id)).all()


def _dsn_events() -> list[tuple[str, str | None, bool]]:
    rows = db.session.scalars(select(DeliveryEvent).where(DeliveryEvent.source == "dsn"))
    return [(e.status, e.error_code, e.applied) for e in rows]


# -- at send time -----------------------------------------------------------------------------


def test_a_recipient_refused_at_send_time_bounces_and_the_invitation_goes_by_sms(
    app, client, smtp_server, twilio_server
):
    smtp_server.refuse("carer1@example.com", 550, "5.1.1 No such user")
    with app.app_context():
        launched([family_row("P1", "C1", preferred_channel="email")])
        staff(1)
        counts = dispatch_pending()
        db.session.commit()
        assert (counts.bounced, counts.failed) == (1, 0)
        email, sms = _messages()
        assert email.status is MessageStatus.BOUNCED and "5.1.1 No such user" in email.last_error
        assert sms.channel is Channel.SMS and sms.fallback_for_id == email.id
        assert sms.status is MessageStatus.SENT
        contact = db.session.scalar(select(Contact))
        assert "The email address failed" in contact.details_flag_reason
    assert len(twilio_server.messages) == 1
    sign_in(client, "office@example.com", two_factor=False)
    page = client.get("/office/data-quality").get_data(as_text=True)
    assert "data-total>1<" in page and "CarerC1 Example" in page
    assert "a message bounced or could not be delivered" in page


def test_a_refusal_of_our_sender_fails_without_blaming_the_parent(app, smtp_server):
    app.config["BOUNCE_ADDRESS"] = ""  # the envelope sender is then the From address
    smtp_server.refuse_sender("noreply@example.com", 553, "5.7.1 Sender address rejected")
    with app.app_context():
        launched([family_row("P1", "C1", preferred_channel="email")])
        counts = dispatch_pending()
        db.session.commit()
        assert (counts.bounced, counts.failed) == (0, 1)
        (email,) = _messages()  # failed, and no fallback: the fault is ours
        assert email.status is MessageStatus.FAILED and "Sender address rejected" in (
            email.last_error
        )
        assert db.session.scalar(select(Contact.details_flagged_at)) is None


# -- VERP -----------------------------------------------------------------------------------


def test_each_email_carries_a_signed_verp_return_path(app, sent_email):
    assert sent_email["verp"].startswith(f"bounces+{sent_email['id']}-")
    assert sent_email["verp"].endswith("@parentlink.example.com")
    with app.app_context():
        assert message_id_from(sent_email["verp"]) == sent_email["id"]
        assert message_id_from(sent_email["verp"].upper()) == sent_email["id"]
        forged = f"bounces+{sent_email['id'] + 1}-{sent_email['verp'].split('-')[1]}"
        assert message_id_from(forged) is None
        assert message_id_from("bounces+1-0000@parentlink.example.com") is None


# -- DSNs from the Maildir ------------------------------------------------------------------


def test_a_postfix_hard_bounce_marks_the_email_and_sends_the_link_by_sms(
    app, maildir, sent_email, twilio_server
):
    deliver(maildir, "postfix_user_unknown.eml", sent_email)
    with app.app_context():
        counts = ingest_maildir(str(maildir))
        assert (counts.read, counts.bounced, counts.unrecognised) == (1, 1, 0)
        email, sms = _messages()
        assert email.status is MessageStatus.BOUNCED
        assert "5.1.1" in email.last_error and "User unknown" in email.last_error
        assert _dsn_events() == [("failed 5.1.1", "5.1.1", True)]
        assert sms.fallback_for_id == email.id and sms.status is MessageStatus.QUEUED
        assert db.session.scalar(select(Contact.details_flagged_at)) is not None
        dispatch_pending()
        db.session.commit()
    assert "/a/" in twilio_server.messages[0]["body"]  # a new personal link, by SMS
    assert len(mailbox.Maildir(maildir)) == 0  # read, recorded, deleted


def test_an_exchange_report_without_verp_is_matched_by_message_id_and_recipient(
    app, maildir, sent_email
):
    deliver(maildir, "exchange_recipient_not_found.eml", sent_email, "Carer1@Example.com")
    with app.app_context():
        assert ingest_maildir(str(maildir)).bounced == 1
        email, _sms = _messages()
        assert email.status is MessageStatus.BOUNCED and "RecipientNotFound" in email.last_error
        assert _dsn_events() == [("failed 5.1.10", "5.1.10", True)]


def test_a_report_citing_our_message_id_for_someone_else_changes_nothing(
    app, maildir, sent_email, caplog
):
    deliver(maildir, "exchange_recipient_not_found.eml", sent_email, "stranger@example.com")
    with app.app_context(), caplog.at_level(logging.WARNING, "parentlink.bounces"):
        assert ingest_maildir(str(maildir)).unrecognised == 1
        (email,) = _messages()
        assert email.status is MessageStatus.SENT
    assert "not about any message of ours" in caplog.text


def test_a_delay_warning_is_kept_as_an_event_only(app, maildir, sent_email):
    deliver(maildir, "postfix_delayed.eml", sent_email)
    with app.app_context():
        counts = ingest_maildir(str(maildir))
        assert (counts.bounced, counts.noted) == (0, 1)
        (email,) = _messages()
        assert email.status is MessageStatus.SENT
        assert _dsn_events() == [("delayed 4.2.2", "4.2.2", False)]
        assert db.session.scalar(select(Contact.details_flagged_at)) is None
    assert len(mailbox.Maildir(maildir)) == 0


def test_the_same_bounce_read_twice_sends_one_fallback(app, maildir, sent_email):
    deliver(maildir, "postfix_user_unknown.eml", sent_email)
    deliver(maildir, "postfix_user_unknown.eml", sent_email)
    with app.app_context():
        counts = ingest_maildir(str(maildir))
        assert (counts.bounced, counts.noted) == (1, 1)
        assert len(_messages()) == 2
        assert [applied for *_, applied in _dsn_events()] == [True, False]


def test_the_job_sets_malformed_mail_aside_and_reads_the_rest(app, maildir, sent_email, caplog):
    deliver(maildir, "broken_report.eml", sent_email)
    deliver(maildir, "out_of_office.eml", sent_email)
    deliver(maildir, "postfix_user_unknown.eml", sent_email)
    (maildir / "new" / "1795515302.garbage.host").write_bytes(b"\x00\xff not a mail \r\n\r\n")
    runner.bind(app)
    with caplog.at_level(logging.WARNING, "parentlink.bounces"):
        result = runner.run_job("bounces")
    assert result == {"read": 4, "bounced": 1, "noted": 0, "unrecognised": 3, "errors": 0}
    assert caplog.text.count("is not a delivery status notification") == 3
    with app.app_context():
        run = db.session.scalar(select(JobRun).where(JobRun.job == "bounces"))
        assert run.outcome is JobOutcome.OK
        assert _messages()[0].status is MessageStatus.BOUNCED
    box = mailbox.Maildir(maildir)
    assert len(box) == 0 and len(box.get_folder(UNRECOGNISED)) == 3
    assert runner.run_job("bounces")["read"] == 0  # set aside: not read again


def test_the_bounce_job_is_scheduled_only_when_the_maildir_is_set():
    assert "bounces" in {job.name for job in scheduled({"BOUNCE_MAILDIR": "/var/mail/b"})}
    assert "bounces" not in {job.name for job in scheduled({"BOUNCE_MAILDIR": ""})}
    assert "dispatch" in {job.name for job in scheduled({})}
