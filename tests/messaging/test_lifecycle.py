"""A message's life: attempts, backoff, giving up, late reports, abandoned attempts,
stable email Message-IDs, quiet hours and channel fallback — with real local servers."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import select
from twilio.request_validator import RequestValidator

from parentlink.campaigns.models import Invitation
from parentlink.core.tokens import hash_token
from parentlink.db import db, transaction
from parentlink.directory.models import Channel, Contact
from parentlink.messaging.dispatcher import (
    DispatchCounts,
    claim_due,
    dispatch_pending,
    outgoing_for,
    record,
)
from parentlink.messaging.models import DeliveryEvent, Message, MessageStatus, RateBucket
from parentlink.messaging.reconcile import reconcile_expired
from parentlink.messaging.sending import send_all
from parentlink.schools.models import School
from parentlink.schools.services import set_sending_window
from tests.builders import csv_bytes, family_row, launched
from tests.conftest import TEST_AUTH_TOKEN


@pytest.fixture
def app_config(twilio_server, smtp_server) -> dict:
    return {
        **twilio_server.app_config(),
        **smtp_server.app_config(),
        "SMS_PER_SECOND": 0,
        "EMAIL_PER_SECOND": 0,
        "DISPATCH_MAX_ATTEMPTS": 3,
    }


def _messages() -> list[Message]:
    db.session.expire_all()
    return db.session.scalars(select(Message).order_by(Message.id)).all()


def _events(message: Message) -> list[tuple[str, str, bool]]:
    rows = db.session.scalars(
        select(DeliveryEvent).where(DeliveryEvent.message_id == message.id).order_by("id")
    )
    return [(e.source, e.status, e.applied) for e in rows]


def _report(client, message_id: int, sid: str, status: str, error_code: str | None = None):
    url = f"http://parentlink.test/webhooks/twilio/status?m={message_id}"
    params = {"MessageSid": sid, "MessageStatus": status}
    if error_code:
        params["ErrorCode"] = error_code
    signature = RequestValidator(TEST_AUTH_TOKEN).compute_signature(url, params)
    return client.post(
        f"/webhooks/twilio/status?m={message_id}",
        data=params,
        headers={"X-Twilio-Signature": signature},
    )


# -- attempts, backoff, giving up ---------------------------------------------------------


def test_passing_faults_back_off_further_each_time_then_the_message_fails(
    app, twilio_server, clock
):
    for _ in range(3):
        twilio_server.fail_next(503, 20500, "Service unavailable")
    with app.app_context():
        launched([family_row("P1", "C1")])
        delays = []
        for attempt in (1, 2):
            assert dispatch_pending().retrying == 1
            db.session.commit()
            (message,) = _messages()
            assert message.attempts == attempt and message.status is MessageStatus.QUEUED
            assert "HTTP 503" in message.last_error
            delays.append(message.next_attempt_at - clock.now())
            clock.set(message.next_attempt_at)
        # base 30 s, doubled each time, with jitter between half and all of it
        assert timedelta(seconds=15) <= delays[0] <= timedelta(seconds=30)
        assert timedelta(seconds=30) <= delays[1] <= timedelta(seconds=60)
        assert dispatch_pending().failed == 1
        db.session.commit()
        message, fallback = _messages()
        assert message.status is MessageStatus.FAILED and message.attempts == 3
        assert message.last_error.startswith("gave up after 3 attempts")
        # the family is still invited, by email (test_faults_reach_family.py)
        assert fallback.fallback_for_id == message.id
        assert message.link_token is None
        assert [e[1] for e in _events(message)] == ["retry", "retry", "retry", "fallback"]
    assert twilio_server.messages == []


def test_a_report_that_overtakes_the_dispatcher_is_applied_and_kept(app, client, twilio_server):
    """Twilio can report `delivered` before the dispatcher has recorded the acceptance."""
    with app.app_context():
        launched([family_row("P1", "C1")])
        with transaction():
            batch = claim_due(10)
        results = send_all(batch)
        sid = results[batch[0].message_id].provider_id
    assert _report(client, batch[0].message_id, sid, "delivered").status_code == 204
    with app.app_context():
        with transaction():
            record(results, DispatchCounts())
        (message,) = _messages()
        assert message.status is MessageStatus.DELIVERED
        assert message.provider_id == sid and message.sent_at is not None
        assert message.link_token is None
        assert _events(message) == [("twilio", "delivered", True), ("dispatcher", "queued", True)]
        # and a late "sent" changes nothing, but is kept
    assert _report(client, batch[0].message_id, sid, "sent").status_code == 204
    with app.app_context():
        (message,) = _messages()
        assert message.status is MessageStatus.DELIVERED
        assert _events(message)[-1] == ("twilio", "sent", False)


def test_a_report_naming_another_sid_for_our_message_is_ignored(app, client, twilio_server):
    with app.app_context():
        launched([family_row("P1", "C1")])
        dispatch_pending()
        db.session.commit()
        (message,) = _messages()
    assert _report(client, message.id, "SM" + "f" * 32, "undelivered").status_code == 204
    with app.app_context():
        (message,) = _messages()
        assert message.status is MessageStatus.SENT


# -- abandoned attempts ---------------------------------------------------------------------


def test_an_abandoned_sms_found_at_twilio_is_recorded_not_resent(app, twilio_server, clock):
    with app.app_context():
        launched([family_row("P1", "C1"), family_row("P2", "C2")])
        with transaction():
            batch = claim_due(10)
        # The provider takes the first; the process dies before recording anything.
        from parentlink.messaging.gateways import gateway_for

        sid = gateway_for(Channel.SMS).send(batch[0]).provider_id
        clock.advance(seconds=app.config["DISPATCH_LEASE_SECONDS"] + 1)
        counts = dispatch_pending()
        db.session.commit()
        assert counts.reconciled == 2 and counts.accepted == 1
        first, second = _messages()
        assert first.status is MessageStatus.SENT and first.provider_id == sid
        assert ("reconcile", "sent", True) in _events(first)
        assert second.status is MessageStatus.SENT and second.attempts == 2
        assert ("reconcile", "requeued", True) in _events(second)
    assert sorted(m["to"] for m in twilio_server.messages) == ["+447700900001", "+447700900002"]


def test_an_abandoned_email_is_resent_with_the_same_message_id(app, smtp_server, clock):
    with app.app_context():
        launched([family_row("P1", "C1", preferred_channel="email")])
        with transaction():
            batch = claim_due(10)
        send_all(batch)  # the relay took it; the process died before the commit
        clock.advance(seconds=app.config["DISPATCH_LEASE_SECONDS"] + 1)
        dispatch_pending()
        db.session.commit()
        (message,) = _messages()
        assert message.status is MessageStatus.SENT and message.attempts == 2
    first, second = smtp_server.wait_for(2)
    assert first["Message-ID"] == second["Message-ID"] == message.message_ref


def test_a_slow_dispatchers_acceptance_stands_after_its_lease_was_given_up(app, smtp_server, clock):
    with app.app_context():
        launched([family_row("P1", "C1", preferred_channel="email")])
        with transaction():
            batch = claim_due(10)
        results = send_all(batch)  # the relay took it, but this dispatcher is slow to record
        clock.advance(seconds=app.config["DISPATCH_LEASE_SECONDS"] + 1)
        assert reconcile_expired(outgoing_for) == 1  # SMTP cannot be asked: queued again
        with transaction():
            record(results, DispatchCounts())
        (message,) = _messages()
        assert message.status is MessageStatus.SENT and message.link_token is None
        assert dispatch_pending().claimed == 0
    assert len(smtp_server.wait_for(1)) == 1


def test_a_live_lease_is_left_alone(app, twilio_server, clock):
    with app.app_context():
        launched([family_row("P1", "C1")])
        with transaction():
            claim_due(10)
        clock.advance(seconds=app.config["DISPATCH_LEASE_SECONDS"] - 5)
        counts = dispatch_pending()
        assert counts.reconciled == 0 and counts.claimed == 0
        (message,) = _messages()
        assert message.status is MessageStatus.SENDING
    assert twilio_server.messages == []


# -- quiet hours ------------------------------------------------------------------------------


def test_sms_wait_for_the_sending_window_and_email_does_not(app, twilio_server, smtp_server, clock):
    clock.set(datetime(2026, 9, 14, 19, 30, tzinfo=UTC))  # 20:30 in London (BST)
    with app.app_context():
        launched([family_row("P1", "C1"), family_row("P2", "C2", preferred_channel="email")])
        counts = dispatch_pending()
        db.session.commit()
        assert counts.by_channel == {"email": 1}
        clock.set(datetime(2026, 9, 15, 6, 59, tzinfo=UTC))  # 07:59 in London
        assert dispatch_pending().claimed == 0
        clock.set(datetime(2026, 9, 15, 7, 0, tzinfo=UTC))  # 08:00 in London
        assert dispatch_pending().by_channel == {"sms": 1}
        db.session.commit()
    assert len(twilio_server.messages) == 1 and len(smtp_server.messages) == 1


@pytest.mark.parametrize(
    ("utc", "sends"),
    [
        (datetime(2026, 3, 28, 7, 30, tzinfo=UTC), False),  # Sat: 07:30 GMT
        (datetime(2026, 3, 29, 7, 30, tzinfo=UTC), True),  # clocks went forward: 08:30 BST
        (datetime(2026, 10, 24, 19, 30, tzinfo=UTC), False),  # Sat: 20:30 BST
        (datetime(2026, 10, 25, 19, 30, tzinfo=UTC), True),  # clocks went back: 19:30 GMT
    ],
)
def test_the_window_follows_the_clock_changes(app, twilio_server, clock, utc, sends):
    clock.set(utc)
    with app.app_context():
        launched([family_row("P1", "C1")])
        assert dispatch_pending().accepted == int(sends)


def test_a_school_can_change_its_window(app, twilio_server, clock):
    clock.set(datetime(2026, 9, 14, 20, 30, tzinfo=UTC))  # 21:30 in London
    with app.app_context():
        launched([family_row("P1", "C1")])
        school = db.session.scalar(select(School))
        set_sending_window(school, time(7, 0), time(22, 0), actor="test")
        db.session.commit()
        assert dispatch_pending().accepted == 1


# -- one SMTP connection per batch -------------------------------------------------------------


def test_a_batch_of_emails_goes_over_one_smtp_connection(app, smtp_server, twilio_server):
    app.config.update(DISPATCH_THREADS=4, DISPATCH_BATCH_SIZE=12)
    with app.app_context():
        rows = [family_row(f"P{i}", f"C{i}", preferred_channel="email") for i in range(1, 13)]
        rows += [family_row("P13", "C13")]  # an SMS in the same batch goes its own way
        launched(rows)
        counts = dispatch_pending()
        db.session.commit()
        assert counts.accepted == 13
    assert len(smtp_server.wait_for(12)) == 12 and len(twilio_server.messages) == 1
    assert smtp_server.connections == 1


def test_a_relay_throttling_our_emails_slows_the_shared_email_rate(app, smtp_server):
    smtp_server.refuse_data(
        "carer2@example.com", 454, "Throttling failure: Maximum sending rate exceeded"
    )
    app.config["EMAIL_PER_SECOND"] = 40
    with app.app_context():
        launched([family_row(f"P{i}", f"C{i}", preferred_channel="email") for i in (1, 2, 3)])
        dispatch_pending()
        db.session.commit()
        first, throttled, third = _messages()
        assert first.status is MessageStatus.SENT and third.status is MessageStatus.SENT
        assert throttled.status is MessageStatus.QUEUED and "454" in throttled.last_error
        assert db.session.get(RateBucket, "email").factor < 1
        assert db.session.get(RateBucket, "sms") is None  # the texts go on at their pace


# -- channel fallback -------------------------------------------------------------------------


def test_an_invalid_number_moves_the_invitation_to_email_once_and_flags_the_contact(
    app, twilio_server, smtp_server
):
    twilio_server.fail_next(400, 21614, "'To' number is not a valid mobile number")
    with app.app_context():
        launched([family_row("P1", "C1")])
        token = db.session.scalar(select(Message.link_token))
        dispatch_pending()
        db.session.commit()
        sms, email = _messages()
        assert sms.status is MessageStatus.FAILED and sms.channel is Channel.SMS
        assert email.channel is Channel.EMAIL and email.fallback_for_id == sms.id
        assert email.status is MessageStatus.SENT
        contact = db.session.scalar(select(Contact))
        assert contact.details_flagged_at is not None
        assert "mobile number failed" in contact.details_flag_reason
    (mail,) = smtp_server.wait_for(1)
    assert f"/a/{token}" in mail.part("text/plain")  # the same personal link


def test_a_number_refused_for_good_is_not_texted_again_until_the_mis_gives_another(
    app, twilio_server, smtp_server
):
    from parentlink.directory.importer import import_families
    from parentlink.office.services import remind_now

    twilio_server.fail_next(400, 21614, "'To' number is not a valid mobile number")
    with app.app_context():
        launched([family_row("P1", "C1")])
        dispatch_pending()
        db.session.commit()
        invitation = db.session.scalar(select(Invitation))
        remind_now(invitation, actor="test")  # the office presses "Remind now"
        db.session.commit()
        dispatch_pending()
        db.session.commit()
        reminder = _messages()[-1]
        assert reminder.channel is Channel.EMAIL and reminder.status is MessageStatus.SENT
        assert twilio_server.messages == []  # no second text to the refused number
        # the office corrects the number in the MIS; the next import brings it
        rows = [family_row("P1", "C1", mobile="07700 900111")]
        import_families(invitation.school_id, csv_bytes(rows))
        remind_now(db.session.get(Invitation, invitation.id), actor="test")
        db.session.commit()
        dispatch_pending()
        db.session.commit()
        assert _messages()[-1].channel is Channel.SMS
    (text,) = twilio_server.messages
    assert text["to"] == "+447700900111"


def test_an_smtp_refusal_moves_to_sms_and_a_second_failure_stops_there(
    app, twilio_server, smtp_server
):
    smtp_server.refuse("carer1@example.com", 550)
    twilio_server.fail_next(400, 21211, "Invalid 'To' Phone Number")
    with app.app_context():
        launched([family_row("P1", "C1", preferred_channel="email")])
        dispatch_pending()
        db.session.commit()
        email, sms = _messages()
        assert email.status is MessageStatus.BOUNCED and "550" in email.last_error
        assert sms.status is MessageStatus.FAILED and sms.fallback_for_id == email.id
        assert len(_messages()) == 2  # no third attempt, no ping-pong
    assert twilio_server.messages == [] and smtp_server.messages == []


def test_a_refused_text_goes_by_sms_without_flagging_the_address(app, twilio_server, smtp_server):
    smtp_server.refuse_data("carer1@example.com", 554, "5.7.1 Message rejected as spam")
    with app.app_context():
        launched([family_row("P1", "C1", preferred_channel="email")])
        token = db.session.scalar(select(Message.link_token))
        dispatch_pending()
        db.session.commit()
        email, sms = _messages()
        assert email.status is MessageStatus.FAILED and "554" in email.last_error
        assert sms.channel is Channel.SMS and sms.fallback_for_id == email.id
        assert sms.status is MessageStatus.SENT
        contact = db.session.scalar(select(Contact))
        assert contact.details_flagged_at is None  # the address is not known to be wrong
    assert smtp_server.messages == []
    (text,) = twilio_server.messages
    assert f"/a/{token}" in text["body"]


def test_a_stop_refusal_opts_the_number_out(app, twilio_server, smtp_server):
    twilio_server.fail_next(400, 21610, "Attempt to send to unsubscribed recipient")
    with app.app_context():
        launched([family_row("P1", "C1")])
        dispatch_pending()
        db.session.commit()
        assert db.session.scalar(select(Contact.sms_opted_out)) is True
    assert len(smtp_server.wait_for(1)) == 1


def test_an_undelivered_report_sends_a_new_link_by_email(app, client, twilio_server, smtp_server):
    with app.app_context():
        launched([family_row("P1", "C1")])
        old_token = db.session.scalar(select(Message.link_token))
        dispatch_pending()
        db.session.commit()
        (sms,) = _messages()
        sms_id, sid = sms.id, sms.provider_id
    assert _report(client, sms_id, sid, "undelivered", "30003").status_code == 204
    with app.app_context():
        sms, email = _messages()
        assert sms.status is MessageStatus.UNDELIVERED
        assert "30003" in sms.last_error
        assert email.fallback_for_id == sms.id and email.status is MessageStatus.QUEUED
        dispatch_pending()
        db.session.commit()
        invitation = db.session.scalar(select(Invitation))
        assert invitation.token_hash != hash_token(old_token)
    (mail,) = smtp_server.wait_for(1)
    new_token = mail.part("text/plain").split("/a/")[1].split()[0]
    with app.app_context():
        assert db.session.scalar(select(Invitation)).token_hash == hash_token(new_token)
    # a repeated report changes nothing and sends nothing more
    assert _report(client, sms_id, sid, "undelivered", "30003").status_code == 204
    with app.app_context():
        assert len(_messages()) == 2
