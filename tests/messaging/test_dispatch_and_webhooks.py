"""The outbox, the dispatcher and Twilio's status callbacks, with real local servers."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from twilio.request_validator import RequestValidator

from parentlink.campaigns.models import Invitation, InvitationStatus
from parentlink.core.tokens import hash_token
from parentlink.db import db
from parentlink.messaging.dispatcher import dispatch_pending
from parentlink.messaging.models import LINK_PLACEHOLDER, DeliveryEvent, Message, MessageStatus
from tests.builders import family_row, launched
from tests.conftest import TEST_AUTH_TOKEN

STATUS_URL = "http://parentlink.test/webhooks/twilio/status"


@pytest.fixture
def app_config(twilio_server) -> dict:
    return twilio_server.app_config()


@pytest.fixture
def sent_sms(app, twilio_server):
    """One invitation SMS accepted by the Twilio-compatible server; returns its SID."""
    with app.app_context():
        launched([family_row("P1", "C1")])
        counts = dispatch_pending()
        db.session.commit()
        assert counts.accepted == 1
    return twilio_server.messages[0]["sid"]


def _post_status(client, params: dict, token: str = TEST_AUTH_TOKEN, url: str = STATUS_URL):
    signature = RequestValidator(token).compute_signature(url, params)
    return client.post(
        "/webhooks/twilio/status", data=params, headers={"X-Twilio-Signature": signature}
    )


def _message():
    return db.session.scalar(select(Message))


def test_the_token_waits_in_the_outbox_only_until_a_gateway_accepts_it(app, twilio_server):
    with app.app_context():
        launched([family_row("P1", "C1")])
        queued = _message()
        token = queued.link_token
        assert LINK_PLACEHOLDER in queued.body and token not in queued.body
        invitation = db.session.scalar(select(Invitation))
        assert invitation.token_hash == hash_token(token)
        dispatch_pending()
        db.session.commit()
        db.session.expire_all()
        sent = _message()
        assert sent.status is MessageStatus.SENT
        assert sent.link_token is None
        assert sent.provider_id == twilio_server.messages[0]["sid"]
        assert db.session.scalar(select(Invitation)).status is InvitationStatus.SENT
    assert (
        f": http://parentlink.test/a/{token} (Replies are not read.)"
        in (twilio_server.messages[0]["body"])
    )


def test_a_signed_delivery_report_is_recorded(app, client, sent_sms):
    response = _post_status(client, {"MessageSid": sent_sms, "MessageStatus": "delivered"})
    assert response.status_code == 204
    with app.app_context():
        assert _message().status is MessageStatus.DELIVERED
        events = db.session.scalars(select(DeliveryEvent).where(DeliveryEvent.source == "twilio"))
        assert [e.status for e in events] == ["delivered"]


def test_the_server_posts_a_real_signed_callback(live_app, twilio_server, sent_sms):
    live_app.config["TWILIO_AUTH_TOKEN"] = twilio_server.auth_token
    # The SMS was sent before the live server's URL was known: point the callback at it.
    twilio_server.messages[0]["status_callback"] = (
        live_app.config["PUBLIC_URL"] + "/webhooks/twilio/status"
    )
    assert twilio_server.post_status(sent_sms, "delivered") == 204
    with live_app.app_context():
        assert _message().status is MessageStatus.DELIVERED


@pytest.mark.parametrize(
    "headers",
    [{}, {"X-Twilio-Signature": "not-a-signature"}],
    ids=["unsigned", "garbage-signature"],
)
def test_an_unsigned_or_forged_callback_is_refused_and_changes_nothing(
    app, client, sent_sms, headers
):
    response = client.post(
        "/webhooks/twilio/status",
        data={"MessageSid": sent_sms, "MessageStatus": "delivered"},
        headers=headers,
    )
    assert response.status_code == 403
    with app.app_context():
        assert _message().status is MessageStatus.SENT
        assert (
            db.session.scalar(
                select(func.count(DeliveryEvent.id)).where(DeliveryEvent.source == "twilio")
            )
            == 0
        )


def test_a_callback_signed_with_another_key_or_for_another_url_is_refused(app, client, sent_sms):
    params = {"MessageSid": sent_sms, "MessageStatus": "delivered"}
    assert _post_status(client, params, token="someone-elses-auth-token").status_code == 403
    assert (
        _post_status(
            client, params, url="http://evil.example.com/webhooks/twilio/status"
        ).status_code
        == 403
    )
    tampered = RequestValidator(TEST_AUTH_TOKEN).compute_signature(
        STATUS_URL, {**params, "MessageStatus": "sent"}
    )
    response = client.post(
        "/webhooks/twilio/status", data=params, headers={"X-Twilio-Signature": tampered}
    )
    assert response.status_code == 403
    with app.app_context():
        assert _message().status is MessageStatus.SENT


def test_a_late_report_never_moves_a_message_backwards(app, client, sent_sms):
    assert (
        _post_status(client, {"MessageSid": sent_sms, "MessageStatus": "delivered"}).status_code
        == 204
    )
    assert (
        _post_status(client, {"MessageSid": sent_sms, "MessageStatus": "sent"}).status_code == 204
    )
    assert (
        _post_status(client, {"MessageSid": sent_sms, "MessageStatus": "delivered"}).status_code
        == 204
    )
    with app.app_context():
        assert _message().status is MessageStatus.DELIVERED
        events = db.session.scalars(
            select(DeliveryEvent).where(DeliveryEvent.source == "twilio").order_by(DeliveryEvent.id)
        ).all()
        assert [(e.status, e.applied) for e in events] == [
            ("delivered", True),
            ("sent", False),
            ("delivered", False),
        ]


def test_a_report_for_an_unknown_message_is_acknowledged_and_ignored(app, client, sent_sms):
    response = _post_status(client, {"MessageSid": "SM" + "0" * 32, "MessageStatus": "failed"})
    assert response.status_code == 204
    with app.app_context():
        assert _message().status is MessageStatus.SENT


def test_a_permanent_refusal_fails_the_message(app, twilio_server):
    twilio_server.fail_next(400, 21610, "Attempt to send to unsubscribed recipient")
    with app.app_context():
        launched([family_row("P1", "C1")])
        counts = dispatch_pending()
        db.session.commit()
        assert counts.failed == 1
        message = _message()
        assert message.status is MessageStatus.FAILED
        assert message.link_token is None
        assert "21610" in (db.session.scalar(select(DeliveryEvent.error_code)) or "")


def test_a_passing_fault_is_retried_later_not_lost(app, twilio_server, clock):
    twilio_server.fail_next(503, 20500, "Service unavailable")
    with app.app_context():
        launched([family_row("P1", "C1")])
        assert dispatch_pending().retrying == 1
        db.session.commit()
        message = _message()
        assert message.status is MessageStatus.QUEUED and message.attempts == 1
        assert message.next_attempt_at > clock.now()
        assert dispatch_pending().claimed == 0  # not due yet
        clock.advance(minutes=5)
        assert dispatch_pending().accepted == 1
        db.session.commit()
    assert len(twilio_server.messages) == 1
