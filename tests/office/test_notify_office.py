"""The office when GOV.UK Notify sends the texts: the settings page says plainly which service
sends each channel, shows what is left of Notify's free allowance and lets the administrator
change the allowance and the price (bad values refused, nothing changed); the campaign
preview costs the texts from the allowance."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select

from parentlink.db import db
from parentlink.directory.importer import import_families
from parentlink.directory.models import Channel
from parentlink.messaging.models import MessageKind
from parentlink.messaging.outbox import enqueue
from parentlink.messaging.templates import Rendered
from parentlink.schools.models import School
from tests.builders import csrf_token, csv_bytes, family_row, published_policy
from tests.office.test_questions import _as, asked  # noqa: F401 (a fixture)
from tests.office.test_settings import events, post


def _settings(client) -> str:
    return client.get("/office/settings").get_data(as_text=True)


def _school(app) -> School:
    with app.app_context():
        found = db.session.scalar(select(School))
        db.session.expunge(found)
        return found


def _send_through_notify(app, fragments_text: str) -> None:
    with app.app_context():
        message = enqueue(
            school_id=1, kind=MessageKind.TEST, channel=Channel.SMS,
            rendered=Rendered(body=fragments_text), to="+447700900001",
        )  # fmt: skip
        message.accepted(
            datetime(2026, 9, 1, 10, tzinfo=UTC), "6f1c0d2e-7a54-4c1b-9a3e-0b5d2f8c4e11"
        )
        db.session.commit()


@pytest.mark.parametrize(
    ("sms", "email", "sms_name", "email_name"),
    [
        ("notify", "smtp", "GOV.UK Notify", "your mail server (SMTP)"),
        ("twilio", "notify", "Twilio", "GOV.UK Notify"),
        ("sandbox", "sandbox", "the sandbox", "the sandbox"),
    ],
)
def test_the_page_says_which_service_sends_each_channel(
    app, admin_client, sms, email, sms_name, email_name
):
    app.config.update(SMS_GATEWAY=sms, EMAIL_GATEWAY=email)
    page = _settings(admin_client)
    assert f'data-gateway="sms"><strong>{sms_name}' in page
    assert f'data-gateway="email"><strong>{email_name}' in page
    notify_fields = "sms-notify_free_allowance" in page and "sms-notify_price_pence" in page
    assert notify_fields == (sms == "notify")
    assert ("sms-sms_price_pence" in page) == (sms != "notify")


def test_the_allowance_left_counts_what_went_through_notify_since_1_april(app, admin_client):
    app.config["SMS_GATEWAY"] = "notify"
    page = _settings(admin_client)
    assert "<strong data-allowance-left>5,000</strong> left of 5,000" in page
    assert "since 1 April 2026" in page and "2.4p plus VAT" in page
    _send_through_notify(app, "x" * 400)  # three fragments
    assert "<strong data-allowance-left>4,997</strong> left of 5,000" in _settings(admin_client)


def _sms_fields(**changes) -> dict:
    fields = {"sms_sender": "", "sms_segment_limit": "2"}
    fields.update(changes)
    return fields


def test_the_administrator_sets_the_allowance_and_price_and_they_are_audited(app, admin_client):
    app.config["SMS_GATEWAY"] = "notify"
    response = post(
        admin_client, "sms", _sms_fields(notify_free_allowance="4,500", notify_price_pence="2.6")
    )
    assert response.status_code == 303
    saved = _school(app)
    assert (saved.notify_free_allowance, saved.notify_price_pence) == (4500, Decimal("2.6"))
    assert "left of 4,500" in _settings(admin_client)
    assert events(app, "school.settings")[-1]["changes"]["notify_free_allowance"] == [None, 4500]
    # emptied: Notify's published figures again
    post(admin_client, "sms", _sms_fields(notify_free_allowance="", notify_price_pence=""))
    saved = _school(app)
    assert (saved.notify_free_allowance, saved.notify_price_pence) == (None, None)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"notify_free_allowance": "lots"}, "the free allowance is a whole number of text"),
        ({"notify_free_allowance": "-5"}, "the free allowance is a whole number of text"),
        ({"notify_free_allowance": "5000.5"}, "the free allowance is a whole number of text"),
        ({"notify_free_allowance": "٥٠٠٠"}, "the free allowance is a whole number of text"),
        ({"notify_free_allowance": "2000000"}, "the free allowance can be at most 1,000,000"),
        ({"notify_price_pence": "abc"}, "the gov.uk notify price per text message is a number"),
        ({"notify_price_pence": "101"}, "must be between 0 and 100 pence"),
        ({"notify_price_pence": "NaN"}, "must be between 0 and 100 pence"),
        ({"notify_price_pence": "2.4567"}, "at most 3 decimal places"),
    ],
)
def test_bad_allowance_or_price_is_refused_and_nothing_changes(app, admin_client, changes, message):
    app.config["SMS_GATEWAY"] = "notify"
    fields = {"notify_free_allowance": "4000", "notify_price_pence": "2", "sms_segment_limit": "3"}
    fields.update(changes)
    response = post(admin_client, "sms", _sms_fields(**fields))
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and message in page.replace("&#39;", "'").lower()
    saved = _school(app)
    assert (saved.notify_free_allowance, saved.notify_price_pence) == (None, None)
    assert saved.sms_segment_limit == 2


def test_with_twilio_a_posted_notify_price_changes_nothing(app, admin_client):
    app.config["SMS_GATEWAY"] = "twilio"
    post(admin_client, "sms", _sms_fields(notify_free_allowance="1", sms_price_pence="3.5"))
    saved = _school(app)
    assert (saved.notify_free_allowance, saved.sms_price_pence) == (None, Decimal("3.5"))


def test_the_campaign_preview_costs_the_texts_from_the_allowance(app, admin_client):
    app.config["SMS_GATEWAY"] = "notify"
    with app.app_context():
        rows = [family_row(f"P{n}", f"C{n}", pupil_first_name="Amelia") for n in range(1, 4)]
        import_families(1, csv_bytes(rows))
        published_policy(1)
        db.session.get(School, 1).notify_free_allowance = 2
        db.session.commit()
    page = admin_client.get("/office/campaigns").get_data(as_text=True)
    options = {"csrf_token": csrf_token(page), "name": "Autumn", "closes_on": "2026-10-16"}
    page = admin_client.post("/office/campaigns", data=options).get_data(as_text=True)
    assert "Fragments per text message" in page and "GOV.UK Notify charges per fragment" in page
    # three one-fragment texts, two of them free: one at 2.4p
    assert "<strong data-cost>£0.02</strong> plus VAT" in page
    assert "2 of the 3 fragments come from the free allowance" in page
    assert "<strong data-allowance-left>2</strong> of 2 left this year" in page


def test_a_text_reply_notify_would_garble_is_refused_and_nothing_is_sent(app, client, asked):  # noqa: F811
    """The family reads Urdu, which Notify cannot send: a reply the office writes in English
    goes in English; one typed in Urdu letters would arrive as "?" and is refused."""
    from parentlink.campaigns.models import ClauseResponse, FollowUp
    from parentlink.directory.models import Contact
    from parentlink.messaging.models import Message
    from parentlink.office.models import Role

    app.config["SMS_GATEWAY"] = "notify"
    with app.app_context():
        db.session.scalar(select(Contact).where(Contact.mis_id == "C1")).language = "ur"
        db.session.get(School, 1).messages_in_family_language = True
        db.session.commit()
    token = _as(client, Role.OFFICE)
    response = client.post(
        f"/office/questions/{asked['id']}/reply",
        data={"csrf_token": token, "channel": "sms", "reply": "جی ہاں، یہ ٹھیک ہے"},
    )
    body = response.get_data(as_text=True).replace("&#34;", '"').replace("&#39;", "'")
    assert response.status_code == 422
    assert "GOV.UK Notify cannot send" in body and 'would see "?" instead' in body
    assert "send the reply by email" in body
    with app.app_context():
        assert (
            db.session.scalar(select(Message.id).where(Message.kind == MessageKind.QUESTION_REPLY))
            is None
        )
        assert db.session.get(ClauseResponse, asked["id"]).follow_up is FollowUp.OPEN
    english = client.post(
        f"/office/questions/{asked['id']}/reply",
        data={"csrf_token": token, "channel": "sms", "reply": "Yes, that is fine."},
    )
    assert english.status_code == 303
    with app.app_context():
        sent = db.session.scalar(select(Message).where(Message.kind == MessageKind.QUESTION_REPLY))
        assert "Yes, that is fine." in sent.body and sent.body.isascii()
        assert db.session.get(ClauseResponse, asked["id"]).follow_up is not FollowUp.OPEN
