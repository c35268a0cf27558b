"""Faults that must still reach the family: passing faults that outlast every attempt fall
back to the other channel, and the invitation's sent time is set however the acceptance
reaches us (here: a delivery report that arrives while the dispatcher's record is lost)."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from twilio.request_validator import RequestValidator

from parentlink.campaigns.models import Invitation, InvitationStatus
from parentlink.db import db, transaction
from parentlink.directory.models import Channel, Contact
from parentlink.messaging.dispatcher import claim_due, dispatch_pending
from parentlink.messaging.models import Message, MessageStatus
from tests.builders import family_row, launched
from tests.conftest import TEST_AUTH_TOKEN


@pytest.fixture
def app_config(twilio_server, smtp_server) -> dict:
    return {
        **twilio_server.app_config(),
        **smtp_server.app_config(),
        "SMS_PER_SECOND": 0,
        "EMAIL_PER_SECOND": 0,
        "DISPATCH_MAX_ATTEMPTS": 2,
    }


def test_rate_limited_until_the_attempts_run_out_the_family_gets_an_email(
    app, twilio_server, smtp_server, clock
):
    for _ in range(2):
        twilio_server.fail_next(429, 20429, "Too Many Requests")
    with app.app_context():
        launched([family_row("P1", "C1")])
        dispatch_pending()
        clock.advance(minutes=10)
        dispatch_pending()  # the second refusal: no attempts left; the email goes at once
        db.session.commit()
        sms, email = db.session.scalars(select(Message).order_by(Message.id)).all()
        assert sms.status is MessageStatus.FAILED and "gave up after 2 attempts" in sms.last_error
        assert email.channel is Channel.EMAIL and email.fallback_for_id == sms.id
        assert email.status is MessageStatus.SENT
        invitation = db.session.scalar(select(Invitation))
        assert invitation.status is InvitationStatus.SENT and invitation.sent_at is not None
        # A busy provider says nothing about the number: the office is not told it is wrong.
        assert db.session.scalar(select(Contact.details_flagged_at)) is None
    (mail,) = smtp_server.wait_for(1)
    assert mail.rcpt_tos == ["carer1@example.com"]


def test_a_delivery_report_for_a_message_whose_record_was_lost_sets_the_sent_time(
    app, twilio_server
):
    with app.app_context():
        launched([family_row("P1", "C1")])
        with transaction():
            (outgoing,) = claim_due(10)
        from parentlink.messaging.gateways import gateway_for

        result = gateway_for(Channel.SMS).send(outgoing)  # then the dispatcher dies
        assert result.provider_id
    url = f"http://parentlink.test/webhooks/twilio/status?m={outgoing.message_id}"
    params = {"MessageSid": result.provider_id, "MessageStatus": "delivered"}
    signature = RequestValidator(TEST_AUTH_TOKEN).compute_signature(url, params)
    response = app.test_client().post(
        f"/webhooks/twilio/status?m={outgoing.message_id}",
        data=params,
        headers={"X-Twilio-Signature": signature},
    )
    assert response.status_code == 204
    with app.app_context():
        message = db.session.get(Message, outgoing.message_id)
        assert message.status is MessageStatus.DELIVERED and message.sent_at is not None
        invitation = db.session.scalar(select(Invitation))
        assert invitation.sent_at is not None
        assert invitation.status is InvitationStatus.SENT
