"""'Send a test SMS / email to me': sent at once through the real gateway (a local
Twilio-compatible server, a local SMTP server), the gateway's answer shown on the page,
and the message kept in the message log as a `test` message."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from parentlink.core.audit import AuditEvent
from parentlink.db import db
from parentlink.messaging.models import Message, MessageKind, MessageStatus
from parentlink.office.models import StaffUser
from parentlink.schools.models import School
from tests.builders import csrf_token
from tests.conftest import TEST_AUTH_TOKEN  # noqa: F401 - the fake server checks it


@pytest.fixture
def app_config(twilio_server, smtp_server) -> dict:
    return {**twilio_server.app_config(), **smtp_server.app_config()}


def set_mobile(client, mobile: str):
    token = csrf_token(client.get("/office/account").get_data(as_text=True))
    return client.post("/office/account", data={"csrf_token": token, "mobile": mobile})


def press(client, section: str):
    """Press a button on the settings page; the page it leads to."""
    token = csrf_token(client.get("/office/settings").get_data(as_text=True))
    response = client.post(
        f"/office/settings?section={section}", data={f"{section}-csrf_token": token}
    )
    if response.status_code == 303:
        return response, client.get(response.headers["Location"]).get_data(as_text=True)
    return response, response.get_data(as_text=True)


def only_message(app) -> Message:
    with app.app_context():
        (message,) = db.session.scalars(select(Message)).all()
        db.session.expunge(message)
        return message


def test_a_test_text_goes_through_twilio_and_the_page_shows_its_answer(
    app, admin_client, twilio_server
):
    assert set_mobile(admin_client, "07700 900123").status_code == 303
    response, page = press(admin_client, "test-sms")
    assert response.status_code == 303
    (sent,) = twilio_server.messages
    assert sent["to"] == "+447700900123" and sent["from"] == "CoatesLane"
    assert "Coates Lane Primary: a test text from ParentLink" in sent["body"]
    assert "(Replies are not read.)" in sent["body"]  # an alphanumeric sender
    assert f"accepted by twilio (id {sent['sid']}, status queued)" in page
    message = only_message(app)
    assert message.kind is MessageKind.TEST and message.status is MessageStatus.SENT
    assert message.provider_id == sent["sid"]
    log = admin_client.get("/office/messages?kind=test").get_data(as_text=True)
    assert "+447700900123" in log and "test (sms)" in log
    with app.app_context():
        detail = json.loads(
            db.session.scalar(
                select(AuditEvent.detail).where(AuditEvent.action == "settings.test_message")
            )
        )
    assert detail["accepted"] is True and detail["provider_id"] == sent["sid"]


def test_the_schools_own_sender_is_used_and_a_number_takes_replies(
    app, admin_client, twilio_server
):
    with app.app_context():
        db.session.scalar(select(School)).sms_sender = "+447700900999"
        db.session.commit()
    set_mobile(admin_client, "07700900123")
    press(admin_client, "test-sms")
    (sent,) = twilio_server.messages
    assert sent["from"] == "+447700900999"
    assert "Replies reach the office." in sent["body"]


def test_twilios_refusal_is_shown_with_its_code_and_the_message_fails(
    app, admin_client, twilio_server
):
    set_mobile(admin_client, "07700 900123")
    twilio_server.fail_next(400, 21610, "Attempt to send to unsubscribed recipient")
    response, page = press(admin_client, "test-sms")
    assert response.status_code == 303
    assert "refused by twilio: this number has replied STOP" in page
    assert "(Twilio error 21610)" in page
    assert 'role="alert"' in page
    assert twilio_server.messages == []
    message = only_message(app)
    assert message.status is MessageStatus.FAILED and "STOP" in message.last_error


def test_a_bad_sender_in_the_settings_is_reported_not_retried(app, admin_client, twilio_server):
    twilio_server.fail_next(400, 21212, "The 'From' number is not a valid phone number.")
    set_mobile(admin_client, "07700 900123")
    _response, page = press(admin_client, "test-sms")
    assert "refused by twilio: the sender (&#39;From&#39;) in ParentLink" in page
    assert "error 21212" in page
    assert only_message(app).status is MessageStatus.FAILED  # never sent later by surprise


def test_without_a_mobile_the_page_says_where_to_add_one(app, admin_client, twilio_server):
    response, page = press(admin_client, "test-sms")
    assert response.status_code == 422
    assert "Add your mobile number on your account page first" in page
    assert twilio_server.messages == []
    with app.app_context():
        assert db.session.scalar(select(Message.id)) is None


def test_a_test_email_goes_through_smtp(app, admin_client, smtp_server):
    response, page = press(admin_client, "test-email")
    assert response.status_code == 303
    (mail,) = smtp_server.wait_for(1)
    assert mail.rcpt_tos == ["admin@example.com"]
    assert mail["Subject"] == "ParentLink test message"
    assert "accepted by smtp" in page
    assert only_message(app).status is MessageStatus.SENT


def test_a_refused_test_email_shows_the_mail_servers_answer(app, admin_client, smtp_server):
    smtp_server.refuse("admin@example.com", 550, "5.1.1 Mailbox unavailable")
    _response, page = press(admin_client, "test-email")
    assert "refused by smtp: the mail server refused admin@example.com: 550" in page
    assert "5.1.1 Mailbox unavailable" in page
    assert only_message(app).status is MessageStatus.FAILED


@pytest.mark.parametrize(
    ("mobile", "message"),
    [
        ("020 7946 0123", "is a landline, which cannot receive text messages"),
        ("0770090", "not a valid phone number"),
        ("hello", "is not a phone number"),
    ],
)
def test_your_own_mobile_is_checked_like_a_parents(app, admin_client, mobile, message):
    set_mobile(admin_client, "07700 900123")
    response = set_mobile(admin_client, mobile)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(StaffUser.mobile)) == "+447700900123"


def test_your_own_mobile_can_be_removed(app, admin_client):
    set_mobile(admin_client, "07700 900123")
    assert set_mobile(admin_client, "").status_code == 303
    with app.app_context():
        assert db.session.scalar(select(StaffUser.mobile)) is None
