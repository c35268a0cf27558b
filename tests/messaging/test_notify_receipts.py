"""Sending through GOV.UK Notify with the dispatcher, and Notify's callbacks: delivery
receipts and replies, over real HTTP from the local Notify-compatible server."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from parentlink.campaigns.models import Invitation
from parentlink.core.tokens import hash_token
from parentlink.db import db, transaction
from parentlink.directory.models import Channel, Contact
from parentlink.messaging.dispatcher import DispatchCounts, claim_due, dispatch_pending, record
from parentlink.messaging.models import (
    DeliveryEvent,
    InboundKeyword,
    InboundMessage,
    Message,
    MessageStatus,
)
from parentlink.messaging.sending import send_all
from tests.builders import family_row, launched


@pytest.fixture
def app_config(notify_server) -> dict:
    return {**notify_server.app_config(), "SMS_PER_SECOND": 0, "EMAIL_PER_SECOND": 0}


@pytest.fixture
def notify(live_app, notify_server):
    """Notify's callbacks point at the app, served over HTTP."""
    base = live_app.config["PUBLIC_URL"]
    notify_server.callback_url = f"{base}/webhooks/notify/status"
    notify_server.inbound_url = f"{base}/webhooks/notify/inbound"
    return notify_server


def _send(app, rows) -> None:
    with app.app_context():
        launched(rows)
        dispatch_pending()
        db.session.commit()


def _messages() -> list[Message]:
    db.session.expire_all()
    return db.session.scalars(select(Message).order_by(Message.id)).all()


def test_a_campaign_goes_out_through_notify_by_text_and_email(app, notify):
    _send(app, [family_row("P1", "C1"), family_row("P2", "C2", preferred_channel="email")])
    email, sms = sorted(notify.notifications, key=lambda n: n["type"])
    assert sms["type"] == "sms" and sms["phone_number"] == "+447700900001"
    assert email["type"] == "email" and email["email_address"] == "carer2@example.com"
    assert "/a/" in sms["body"] and "/a/" in email["body"]  # the personal links
    with app.app_context():
        messages = _messages()
        assert [m.status for m in messages] == [MessageStatus.SENT, MessageStatus.SENT]
        assert [m.provider_id for m in messages] == [sms["id"], email["id"]]
        assert sms["reference"] == f"parentlink-{messages[0].id}"


def test_receipts_move_a_message_forward_and_never_back(app, notify):
    _send(app, [family_row("P1", "C1")])
    nid = notify.notifications[0]["id"]
    assert notify.post_status(nid, "sending") == 204
    assert notify.post_status(nid, "delivered") == 204
    assert notify.post_status(nid, "pending") == 204  # late: changes nothing
    assert notify.post_status(nid, "delivered") == 204  # repeated: changes nothing
    with app.app_context():
        (message,) = _messages()
        assert message.status is MessageStatus.DELIVERED
        events = [(e.source, e.status, e.applied) for e in message.events if e.source == "notify"]
        assert events == [
            ("notify", "sending", False),
            ("notify", "delivered", True),
            ("notify", "pending", False),
            ("notify", "delivered", False),
        ]


def test_an_international_sent_counts_as_delivered(app, notify):
    _send(app, [family_row("P1", "C1")])
    notify.post_status(notify.notifications[0]["id"], "sent")
    with app.app_context():
        assert _messages()[0].status is MessageStatus.DELIVERED


def test_a_wrong_or_missing_token_gets_401_and_changes_nothing(app, notify):
    _send(app, [family_row("P1", "C1")])
    nid = notify.notifications[0]["id"]
    assert notify.post_status(nid, "delivered", token="notify-callback-token-0123456788") == 401
    assert notify.post_status(nid, "delivered", token="") == 401
    assert notify.post_inbound("447700900001", "STOP", token="guess") == 401
    client = app.test_client()
    body = {"id": nid, "reference": "parentlink-1", "status": "delivered"}
    assert client.post("/webhooks/notify/status", json=body).status_code == 401
    basic = {"Authorization": f"Basic {notify.callback_token}"}
    assert client.post("/webhooks/notify/status", json=body, headers=basic).status_code == 401
    with app.app_context():
        assert _messages()[0].status is MessageStatus.SENT
        assert db.session.scalar(select(InboundMessage)) is None


def test_a_receipt_for_someone_elses_reference_changes_nothing(app, notify):
    _send(app, [family_row("P1", "C1")])
    with app.app_context():
        message_id = _messages()[0].id
    headers = {"Authorization": f"Bearer {notify.callback_token}"}
    client = app.test_client()
    forged = [
        {"id": "5a3b3a0e-0000-4000-8000-000000000001", "reference": f"parentlink-{message_id}",
         "to": "+447700900001", "status": "permanent-failure"},  # another notification
        {"id": notify.notifications[0]["id"], "reference": f"parentlink-{message_id}",
         "to": "+447700900777", "status": "permanent-failure"},  # another recipient
        {"reference": "parentlink-999999", "status": "delivered"},
        {"status": "delivered"},
        {"reference": "parentlink-" + "9" * 30, "status": "delivered"},
        {"reference": "parentlink-١", "status": "delivered"},  # a digit, not ASCII
        {"reference": ["parentlink-1"], "to": 447700900001, "status": {"x": 1}},
        {"id": {"x": 1}, "reference": f"parentlink-{message_id}", "to": ["+447700900001"],
         "status": "delivered"},
    ]  # fmt: skip
    for body in forged:
        assert client.post("/webhooks/notify/status", json=body, headers=headers).status_code == 204
    assert client.post("/webhooks/notify/status", data="[]", headers=headers).status_code == 400
    with app.app_context():
        (message,) = _messages()
        assert message.status is MessageStatus.SENT
        contact = db.session.get(Contact, message.contact_id)
        assert contact.details_flagged_at is None


def test_a_reply_delivered_twice_is_kept_and_acted_on_once(app, notify):
    _send(app, [family_row("P1", "C1")])
    headers = {"Authorization": f"Bearer {notify.callback_token}"}
    body = {"id": "d5f2a3a0-0000-4000-8000-0000000000aa", "source_number": "447700900001",
            "destination_number": "07700900999", "message": "HELP",
            "date_received": "2026-09-14T10:00:00.000000Z"}  # fmt: skip
    client = app.test_client()
    for _ in range(2):
        assert (
            client.post("/webhooks/notify/inbound", json=body, headers=headers).status_code == 204
        )
    for bad in ({"id": "x"}, {"source_number": "447700900001"}, []):
        answer = client.post("/webhooks/notify/inbound", json=bad, headers=headers)
        assert answer.status_code == 400
    with app.app_context():
        assert len(db.session.scalars(select(InboundMessage)).all()) == 1
        replies = [m for m in _messages() if m.kind.value == "help-reply"]
        assert len(replies) == 1 and replies[0].to_address == "+447700900001"


def test_a_permanent_failure_flags_the_number_and_tries_email_once(app, notify):
    _send(app, [family_row("P1", "C1")])
    notify.post_status(notify.notifications[0]["id"], "permanent-failure")
    with app.app_context():
        failed, fallback = _messages()
        assert failed.status is MessageStatus.FAILED
        assert failed.last_error == "GOV.UK Notify reported permanent-failure"
        assert fallback.channel is Channel.EMAIL and fallback.fallback_for_id == failed.id
        contact = db.session.get(Contact, failed.contact_id)
        assert contact.details_flagged_at is not None
        assert "permanent-failure" in contact.details_flag_reason
        dispatch_pending()
        db.session.commit()
    email = notify.notifications[1]
    notify.post_status(email["id"], "permanent-failure")  # a fallback never falls back
    with app.app_context():
        assert len(_messages()) == 2
        assert _messages()[1].status is MessageStatus.FAILED


def test_a_temporary_failure_is_undelivered_without_flagging(app, notify):
    _send(app, [family_row("P1", "C1")])
    notify.post_status(notify.notifications[0]["id"], "temporary-failure")
    with app.app_context():
        (message,) = _messages()
        assert message.status is MessageStatus.UNDELIVERED
        assert db.session.get(Contact, message.contact_id).details_flagged_at is None


def test_a_technical_failure_is_sent_again_with_a_new_link(app, notify, clock):
    _send(app, [family_row("P1", "C1")])
    first = notify.notifications[0]
    assert notify.post_status(first["id"], "technical-failure") == 204
    assert notify.post_status(first["id"], "technical-failure") == 204  # once only
    with app.app_context():
        (message,) = _messages()
        assert message.status is MessageStatus.QUEUED and message.provider_id is None
        assert message.link_token
        invitation = db.session.scalar(select(Invitation))
        assert invitation.token_hash == hash_token(message.link_token)
        clock.advance(hours=2)  # past the backoff
        dispatch_pending()
        db.session.commit()
    second = notify.notifications[1]
    assert second["reference"] == first["reference"] and second["body"] != first["body"]
    assert notify.post_status(first["id"], "delivered") == 204  # the lost one: not ours now
    with app.app_context():
        (message,) = _messages()
        assert message.status is MessageStatus.SENT and message.provider_id == second["id"]
        assert message.attempts == 2


def test_a_technical_failure_before_the_dispatcher_recorded_the_send_is_sent_again(
    app, notify, clock
):
    """A dispatcher records a batch's acceptances once the whole batch is sent: Notify's
    technical-failure for its first message can come sooner. The app answers 503 (Notify
    tries the callback again 5 minutes later) instead of losing it: the message was never
    sent, and once the acceptance is recorded the retried report queues it again."""
    with app.app_context():
        launched([family_row("P1", "C1")])
        with transaction():
            batch = claim_due(10)
        results = send_all(batch)
    (first,) = notify.notifications
    assert notify.post_status(first["id"], "technical-failure") == 503
    with app.app_context():
        with transaction():
            record(results, DispatchCounts())
        (message,) = _messages()
        assert message.status is MessageStatus.SENT and message.provider_id == first["id"]
    assert notify.post_status(first["id"], "technical-failure") == 204  # Notify's retry
    with app.app_context():
        (message,) = _messages()
        assert message.status is MessageStatus.QUEUED and message.provider_id is None
        clock.advance(hours=2)  # past the backoff
        dispatch_pending()
        db.session.commit()
    second = notify.notifications[1]
    assert second["reference"] == first["reference"] and second["body"] != first["body"]


def test_a_permanent_failure_before_the_dispatcher_recorded_the_send_keeps_its_reason(app, notify):
    with app.app_context():
        launched([family_row("P1", "C1")])
        with transaction():
            batch = claim_due(10)
        results = send_all(batch)
    (first,) = notify.notifications
    assert notify.post_status(first["id"], "permanent-failure") == 204
    with app.app_context():
        with transaction():
            record(results, DispatchCounts())
        failed, fallback = _messages()
        assert failed.status is MessageStatus.FAILED and failed.provider_id == first["id"]
        assert failed.last_error == "GOV.UK Notify reported permanent-failure"
        assert fallback.channel is Channel.EMAIL and fallback.status is MessageStatus.QUEUED
        dispatch_pending()
        db.session.commit()
    link = notify.notifications[1]["body"]
    assert notify.notifications[1]["type"] == "email" and "/a/" in link


def test_notify_errors_at_send_time_reach_the_message_log(app, notify):
    notify.fail_next(400, "ValidationError", "phone_number Not a UK mobile number")
    _send(app, [family_row("P1", "C1")])
    with app.app_context():
        failed, fallback = _messages()
        assert failed.status is MessageStatus.FAILED
        assert failed.last_error == (
            "GOV.UK Notify refused the mobile number: Not a UK mobile number"
        )
        assert fallback.channel is Channel.EMAIL
        event = db.session.scalar(
            select(DeliveryEvent).where(DeliveryEvent.message_id == failed.id)
        )
        assert event.error_code == "notify-bad-number"


def test_a_429_slows_the_shared_rate(app, notify):
    notify.fail_next(429, "RateLimitError", "Exceeded rate limit for key type LIVE")
    app.config["SMS_PER_SECOND"] = 40
    _send(app, [family_row("P1", "C1")])
    from parentlink.messaging.models import RateBucket

    with app.app_context():
        (message,) = _messages()
        assert message.status is MessageStatus.QUEUED
        assert "slow down" in message.last_error
        assert db.session.get(RateBucket, "sms").factor < 1


def test_replies_through_notify_stop_start_help_and_the_inbox(app, notify):
    _send(app, [family_row("P1", "C1"), family_row("P2", "C2")])
    assert notify.post_inbound("447700900001", "Stop") == 204
    assert notify.post_inbound("447700900002", "When is the deadline?") == 204
    assert notify.post_inbound("07700900002", "help") == 204
    with app.app_context():
        inbox = db.session.scalars(select(InboundMessage).order_by(InboundMessage.id)).all()
        assert [m.keyword for m in inbox] == [InboundKeyword.STOP, None, InboundKeyword.HELP]
        assert inbox[0].from_number == "+447700900001" and inbox[0].contact_id is not None
        assert inbox[1].body == "When is the deadline?" and inbox[1].contact_id is not None
        stopped = db.session.get(Contact, inbox[0].contact_id)
        assert stopped.sms_opted_out
        dispatch_pending()
        db.session.commit()
        stopped_id = stopped.id
    # Notify cannot answer inside its callback: HELP's answer goes through the outbox
    help_texts = [n for n in notify.notifications if "Reply STOP" in n["body"]]
    assert len(help_texts) == 1 and help_texts[0]["phone_number"] == "+447700900002"
    assert "Coates Lane" in help_texts[0]["body"]
    assert notify.post_inbound("447700900001", "START") == 204
    with app.app_context():
        assert not db.session.get(Contact, stopped_id).sms_opted_out
