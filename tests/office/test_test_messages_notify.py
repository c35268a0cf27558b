"""'Send a test text / email to me' through GOV.UK Notify (the local Notify-compatible
server): the page shows Notify's answer, or its refusal in words the office can act on."""

from __future__ import annotations

import html

import pytest

from parentlink.messaging.models import MessageKind, MessageStatus
from tests.office.test_test_messages import only_message, press, set_mobile


@pytest.fixture
def app_config(notify_server) -> dict:
    return notify_server.app_config()


def test_a_test_text_and_email_go_through_notify_and_show_its_answer(
    app, admin_client, notify_server
):
    assert set_mobile(admin_client, "07700 900123").status_code == 303
    _response, page = press(admin_client, "test-sms")
    (sent,) = notify_server.notifications
    assert sent["phone_number"] == "+447700900123" and sent["type"] == "sms"
    assert "a test text from ParentLink" in sent["body"]
    page = html.unescape(page)
    assert f"GOV.UK Notify accepted notification {sent['id']}, from CoatesLane" in page
    message = only_message(app)
    assert message.kind is MessageKind.TEST and message.status is MessageStatus.SENT
    assert message.provider_id == sent["id"]
    _response, page = press(admin_client, "test-email")
    email = notify_server.notifications[1]
    assert email["email_address"] == "admin@example.com"
    assert email["subject"] == "ParentLink test message"
    assert f"GOV.UK Notify accepted notification {email['id']}" in html.unescape(page)


def test_a_team_only_key_is_explained_on_the_page(app, admin_client, notify_server):
    app.extensions.pop("parentlink.gateways", None)
    app.config["NOTIFY_API_KEY"] = notify_server.team_key
    set_mobile(admin_client, "07700 900123")
    _response, page = press(admin_client, "test-sms")
    page = html.unescape(page)
    assert "refused by notify (error notify-team-key)" in page
    assert "team-only key, which can only send to members of the school's Notify team" in page
    assert notify_server.notifications == []
    assert only_message(app).status is MessageStatus.FAILED
