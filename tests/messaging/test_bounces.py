"""Bounces: a recipient refused at send time, and DSNs read later from a real Maildir.

The DSN samples in tests/messaging/dsn/ are written as Postfix and Exchange Online send
them, those in bounce_samples/ as Exim, qmail, Gmail, Exchange 2003, Microsoft 365, Sendmail
and Amazon SES do, and an ARF complaint; @@VERP@@, @@MESSAGE_ID@@, @@RECIPIENT@@ and
@@LOCALPART@@ are filled in per test.
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
# Our own bounces in the structures each server family sends (see that folder's README).
FORMATS = Path(__file__).parent / "bounce_samples"


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
    folder = SAMPLES if (SAMPLES / sample).exists() else FORMATS
    text = (folder / sample).read_text()
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
    # the out-of-office answer is recorded against its message (and nothing changes)
    assert result == {"read": 4, "bounced": 1, "noted": 1, "unrecognised": 2, "errors": 0}
    assert caplog.text.count("is not a delivery status notification") == 2
    with app.app_context():
        run = db.session.scalar(select(JobRun).where(JobRun.job == "bounces"))
        assert run.outcome is JobOutcome.OK
        assert _messages()[0].status is MessageStatus.BOUNCED
    box = mailbox.Maildir(maildir)
    assert len(box) == 0 and len(box.get_folder(UNRECOGNISED)) == 2
    assert runner.run_job("bounces")["read"] == 0  # set aside: not read again


def test_the_bounce_job_is_scheduled_only_when_the_maildir_is_set():
    assert "bounces" in {job.name for job in scheduled({"BOUNCE_MAILDIR": "/var/mail/b"})}
    assert "bounces" not in {job.name for job in scheduled({"BOUNCE_MAILDIR": ""})}
    assert "dispatch" in {job.name for job in scheduled({})}


# -- bounces as each server family sends them, by cause ---------------------------------------

FAMILIES = [
    # (sample, what it is, flagged: the parent's address is wrong)
    ("exim_user_unknown.eml", "failed 5.0.0", True),  # plain text, no status code
    ("qmail_user_unknown.eml", "failed 5.1.1", True),  # plain text, "(#5.1.1)"
    ("gmail_text_user_unknown.eml", "failed 5.1.1", True),  # Gmail's older text notice
    ("exchange2003_not_recognized.eml", "failed 5.0.0", True),  # multipart/mixed, no DSN
    ("sendmail_bad_destination.eml", "failed 5.1.1", True),  # no report-type; Action comment
    ("office365_dmarc_reject.eml", "failed 5.7.509", False),  # our DMARC: never the parent
    ("exim_spamhaus_block.eml", "failed 5.0.0", False),  # our IP on a block list
    ("ses_mailbox_full_mixed.eml", "failed 5.2.2", False),  # full: counted, not flagged
]


@pytest.mark.parametrize(("sample", "event", "flagged"), FAMILIES)
def test_bounces_from_every_common_server_are_read_and_judged_by_cause(
    app, maildir, sent_email, sample, event, flagged
):
    deliver(maildir, sample, sent_email)
    with app.app_context():
        counts = ingest_maildir(str(maildir))
        assert (counts.read, counts.bounced, counts.unrecognised) == (1, 1, 0), counts
        email, sms = _messages()
        assert email.status is MessageStatus.BOUNCED
        assert sms.channel is Channel.SMS and sms.fallback_for_id == email.id  # still reached
        assert [status for status, *_ in _dsn_events()] == [event]
        contact = db.session.scalar(select(Contact))
        assert (contact.details_flagged_at is not None) is flagged


def test_our_own_mail_problem_tells_the_administrator_once_and_flags_nobody(
    app, maildir, smtp_server, caplog
):
    from parentlink.core.audit import AuditEvent

    with app.app_context():
        launched([family_row(f"P{n}", f"C{n}", preferred_channel="email") for n in (1, 2)])
        dispatch_pending()
        db.session.commit()
    for mail in smtp_server.wait_for(2):
        sent = {"verp": mail.mail_from, "ref": str(mail["Message-ID"])}
        deliver(maildir, "office365_dmarc_reject.eml", sent, mail.rcpt_tos[0])
    with app.app_context(), caplog.at_level(logging.WARNING, "parentlink.bounces"):
        assert ingest_maildir(str(maildir)).bounced == 2
        assert db.session.scalars(select(Contact.details_flagged_at)).all() == [None, None]
        notices = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "mail.sender_refused")
        ).all()
        assert len(notices) == 1
        assert "DMARC" in notices[0].detail and "DKIM" in notices[0].detail
    assert caplog.text.count("our mail is refused") == 1


def test_the_administrator_sees_our_mail_refused_on_the_overview_until_it_stops(
    app, maildir, smtp_server, clock
):
    from tests.office.sign_in import staff_with_two_factor

    with app.app_context():
        launched([family_row("P1", "C1", preferred_channel="email")])
        staff_with_two_factor(1, "admin@example.com", "admin")
        staff(1)
        db.session.commit()
        dispatch_pending()
        db.session.commit()
    (mail,) = smtp_server.wait_for(1)
    sent = {"verp": mail.mail_from, "ref": str(mail["Message-ID"])}
    deliver(maildir, "office365_dmarc_reject.eml", sent, mail.rcpt_tos[0])
    with app.app_context():
        ingest_maildir(str(maildir))

    def overview(email: str, two_factor: bool) -> str:
        client = app.test_client()
        sign_in(client, email, two_factor=two_factor)
        return client.get("/office/").get_data(as_text=True)

    page = overview("admin@example.com", True)
    assert "Email providers are refusing the school" in page
    assert "DMARC" in page and "To fix:" in page and "sent a text instead" in page
    assert "Email providers are refusing" not in overview("office@example.com", False)
    clock.advance(days=15)  # nothing bounced since: the warning has gone
    assert "Email providers are refusing" not in overview("admin@example.com", True)


def test_a_full_mailbox_is_flagged_only_when_it_keeps_happening(app, maildir, smtp_server):
    with app.app_context():
        launched([family_row("P1", "C1", preferred_channel="email")])
    for attempt in range(3):
        with app.app_context():
            message = db.session.scalar(
                select(Message).where(Message.channel == Channel.EMAIL).order_by(Message.id.desc())
            )
            if message.status is MessageStatus.QUEUED:
                dispatch_pending()
                db.session.commit()
            db.session.expire_all()
            message = db.session.get(Message, message.id)
            sent = {"verp": f"x{attempt}@nowhere.example.com", "ref": message.message_ref}
            deliver(maildir, "ses_mailbox_full_mixed.eml", sent)
            if message.status is not MessageStatus.SENT:  # bounced ones need a new email
                message.status = MessageStatus.SENT
                db.session.commit()
            ingest_maildir(str(maildir))
            flagged = db.session.scalar(select(Contact.details_flagged_at))
            assert (flagged is not None) is (attempt == 2), attempt


def test_a_spam_complaint_stops_email_to_that_address_and_the_office_sees_it(
    app, client, maildir, sent_email
):
    deliver(maildir, "arf_complaint.eml", sent_email)
    with app.app_context():
        counts = ingest_maildir(str(maildir))
        assert (counts.read, counts.unrecognised) == (1, 0)
        contact = db.session.scalar(select(Contact))
        assert contact.email_complained is True
        assert contact.address_for(Channel.EMAIL) is None
        assert contact.best_channel() is Channel.SMS  # reminders go by text from now on
        events = db.session.scalars(select(DeliveryEvent).where(DeliveryEvent.source == "arf"))
        assert [e.status for e in events] == ["complaint abuse"]
        staff(1)
        db.session.commit()
    sign_in(client, "office@example.com", two_factor=False)
    page = client.get("/office/data-quality").get_data(as_text=True)
    assert "reported our email as spam" in page
