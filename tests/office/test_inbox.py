"""A parent's text reaches the office inbox; the office passes a worrying one to the DSL,
after which only the DSL can read it, and the DSL is alerted like for any concern."""

from __future__ import annotations

from sqlalchemy import select
from twilio.request_validator import RequestValidator

from jobs import runner
from parentlink.concerns.models import Concern, ConcernSource
from parentlink.db import db
from parentlink.messaging.models import InboundMessage, Message, MessageKind
from tests.builders import csrf_token, family_row, launched, staff
from tests.conftest import TEST_AUTH_TOKEN
from tests.office.sign_in import sign_in, staff_with_two_factor

WORRY = "someone is sharing photos of Amelia from the school trip on a group chat"


def _text_from_parent(client, body: str) -> None:
    url = "http://parentlink.test/webhooks/twilio/inbound"
    params = {
        "MessageSid": "SM" + "7" * 32,
        "From": "+447700900001",
        "To": "+447700900999",
        "Body": body,
    }
    signature = RequestValidator(TEST_AUTH_TOKEN).compute_signature(url, params)
    response = client.post(
        "/webhooks/twilio/inbound", data=params, headers={"X-Twilio-Signature": signature}
    )
    assert response.status_code == 200


def test_the_office_passes_a_worrying_text_to_the_dsl(app, client):
    with app.app_context():
        summary = launched([family_row("P1", "C1", pupil_first_name="Amelia")])
        staff(summary.campaign.school_id, email="office@example.com", role="office")
        staff_with_two_factor(summary.campaign.school_id, "dsl@example.com", "dsl")
        db.session.commit()
    _text_from_parent(client, WORRY)

    sign_in(client, "office@example.com", two_factor=False)
    page = client.get("/office/inbox").get_data(as_text=True)
    assert WORRY in page and "Pass to the safeguarding lead" in page
    with app.app_context():
        inbound = db.session.scalar(select(InboundMessage))
        assert inbound.read_at is not None  # the office has seen it
    response = client.post(
        f"/office/inbox/{inbound.id}/concern", data={"csrf_token": csrf_token(page)}
    )
    assert response.status_code == 303
    after = client.get("/office/inbox").get_data(as_text=True)
    assert WORRY not in after  # the office no longer reads it
    with app.app_context():
        concern = db.session.scalar(select(Concern))
        assert concern.source is ConcernSource.SMS and concern.description == WORRY
        assert concern.contact_id == inbound.contact_id
        assert f"Passed to the safeguarding lead as concern {concern.reference}" in after
        reference = concern.reference
    assert (
        client.post(
            f"/office/inbox/{inbound.id}/concern", data={"csrf_token": csrf_token(after)}
        ).status_code
        == 303
    )
    with app.app_context():
        assert db.session.query(Concern).count() == 1  # the button is gone; no second concern

    runner.bind(app)
    assert runner.run_job("concern_alerts")["alerted"] == 1
    with app.app_context():
        alert = db.session.scalar(select(Message).where(Message.kind == MessageKind.DSL_ALERT))
        assert alert.to_address == "dsl@example.com"
        assert reference in alert.body and "photos" not in alert.body


def test_a_text_without_a_csrf_token_changes_nothing(app, client):
    with app.app_context():
        summary = launched([family_row("P1", "C1")])
        staff(summary.campaign.school_id, email="office@example.com", role="office")
        db.session.commit()
    _text_from_parent(client, WORRY)
    sign_in(client, "office@example.com", two_factor=False)
    with app.app_context():
        inbound_id = db.session.scalar(select(InboundMessage.id))
    assert client.post(f"/office/inbox/{inbound_id}/concern").status_code == 400
    with app.app_context():
        assert db.session.query(Concern).count() == 0
