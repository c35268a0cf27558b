"""SMS from parents: signed webhooks, STOP/START/HELP, and text kept for the office."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from twilio.request_validator import RequestValidator

from parentlink.core.clock import now
from parentlink.db import db
from parentlink.directory.models import Channel, Contact
from parentlink.messaging.models import InboundKeyword, InboundMessage, Message, MessageStatus
from tests.builders import family_row, launched
from tests.conftest import TEST_AUTH_TOKEN

URL = "http://parentlink.test/webhooks/twilio/inbound"
PARENT = "+447700900001"


@pytest.fixture
def app_config() -> dict:
    return {"PROXY_FIX_HOPS": 1}


@pytest.fixture
def family(app):
    with app.app_context():
        launched([family_row("P1", "C1")])  # one invitation SMS queued for +447700900001


def _sms(client, body, sid="SM" + "1" * 32, sender=PARENT, url=URL, headers=None):
    params = {"MessageSid": sid, "From": sender, "To": "+447700900999", "Body": body}
    signature = RequestValidator(TEST_AUTH_TOKEN).compute_signature(url, params)
    return client.post(
        "/webhooks/twilio/inbound",
        data=params,
        headers={"X-Twilio-Signature": signature, **(headers or {})},
    )


def _contact() -> Contact:
    db.session.expire_all()
    return db.session.scalar(select(Contact))


@pytest.mark.parametrize("body", ["STOP", "stop", " Stop. ", "unsubscribe", "QUIT", "StopAll"])
def test_stop_turns_sms_off_and_the_queued_invitation_goes_by_email(app, client, family, body):
    response = _sms(client, body)
    assert response.status_code == 200
    assert "<Message>" not in response.get_data(as_text=True)
    with app.app_context():
        contact = _contact()
        assert contact.sms_opted_out is True
        assert contact.details_flagged_at is None  # nothing wrong with the details
        sms, email = db.session.scalars(select(Message).order_by(Message.id)).all()
        assert sms.status is MessageStatus.FAILED and "STOP" in sms.last_error
        assert email.channel is Channel.EMAIL and email.status is MessageStatus.QUEUED
        stored = db.session.scalar(select(InboundMessage))
        assert stored.keyword is InboundKeyword.STOP and stored.contact_id == contact.id


def test_start_turns_sms_back_on(app, client, family):
    _sms(client, "STOP", sid="SM" + "1" * 32)
    _sms(client, "start", sid="SM" + "2" * 32)
    with app.app_context():
        assert _contact().sms_opted_out is False


def test_help_answers_with_the_school_office(app, client, family):
    response = _sms(client, "help")
    text = response.get_data(as_text=True)
    assert response.mimetype == "application/xml"
    assert "<Message>Coates Lane Primary: messages about your child's school." in text
    assert "01632 960123" in text


def test_other_text_is_kept_for_the_office_once_even_if_twilio_retries(app, client, family):
    for _ in range(2):
        assert _sms(client, "Can I ring about clause 3?").status_code == 200
    with app.app_context():
        (stored,) = db.session.scalars(select(InboundMessage)).all()
        assert stored.body == "Can I ring about clause 3?" and stored.keyword is None
        assert stored.contact_id == _contact().id and stored.school_id == _contact().school_id
        assert _contact().sms_opted_out is False
        assert db.session.scalar(select(Message.status)) is MessageStatus.QUEUED


def test_text_from_an_unknown_number_is_kept_without_a_contact(app, client, family):
    assert _sms(client, "Who is this?", sender="+447700900555").status_code == 200
    with app.app_context():
        stored = db.session.scalar(select(InboundMessage))
        assert stored.contact_id is None and stored.from_number == "+447700900555"
        assert stored.school_id == _contact().school_id  # the only school


@pytest.mark.parametrize(
    "headers",
    [{}, {"X-Twilio-Signature": "forged"}],
    ids=["unsigned", "forged"],
)
def test_an_unsigned_or_forged_inbound_sms_is_refused_and_changes_nothing(
    app, client, family, headers
):
    response = client.post(
        "/webhooks/twilio/inbound",
        data={"MessageSid": "SM" + "3" * 32, "From": PARENT, "Body": "STOP"},
        headers=headers,
    )
    assert response.status_code == 403
    with app.app_context():
        assert _contact().sms_opted_out is False
        assert db.session.scalar(select(func.count(InboundMessage.id))) == 0


def test_behind_a_proxy_only_the_configured_public_url_is_the_signed_one(app, client, family):
    """Whatever Host or X-Forwarded-* headers a request brings, the signature must be for
    PUBLIC_URL: one signed for another deployment's URL is refused even when the headers
    name that deployment."""
    app.config["PUBLIC_URL"] = "https://parentlink.example.com"
    public = "https://parentlink.example.com/webhooks/twilio/inbound"
    assert _sms(client, "STOP", url=public).status_code == 200
    elsewhere = "https://staging.parentlink.example.com/webhooks/twilio/inbound"
    forwarded = {
        "X-Forwarded-Proto": "https",
        "X-Forwarded-Host": "staging.parentlink.example.com",
        "Host": "staging.parentlink.example.com",
    }
    response = _sms(client, "STOP", url=elsewhere, headers=forwarded, sid="SM" + "4" * 32)
    assert response.status_code == 403


def test_the_office_inbox_lists_texts_newest_first_a_page_at_a_time(app, client, family):
    from parentlink.messaging.queries import inbox_page, unread_count

    for n in range(3):
        _sms(client, f"Question {n}", sid=f"SM{n:032d}")
    _sms(client, "From a stranger", sid="SM" + "9" * 32, sender="+447700900555")
    with app.app_context():
        school_id = _contact().school_id
        first = inbox_page(school_id, page=1, per_page=3)
        assert (first.total, first.pages) == (4, 2)
        assert [r.message.body for r in first.rows] == [
            "From a stranger",
            "Question 2",
            "Question 1",
        ]
        assert [r.contact_name for r in first.rows] == [
            None,
            "CarerC1 Example",
            "CarerC1 Example",
        ]
        assert unread_count(school_id) == 4
        first.rows[1].message.mark_read(now())
        db.session.commit()
        assert unread_count(school_id) == 3
        assert [r.message.body for r in inbox_page(school_id, page=2, per_page=3).rows] == [
            "Question 0"
        ]
