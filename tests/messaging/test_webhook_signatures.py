"""Twilio's webhook signatures: valid only for our configured public URL, over the whole
multi-value form. The reference values are Twilio's published examples (the `twilio`
library's validator tests: auth token "12345", https://mycompany.com/myapp.php?foo=1&bar=2,
and the port rule: Twilio may sign the URL with or without its port)."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from twilio.request_validator import RequestValidator
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import Forbidden

from parentlink.db import db
from parentlink.messaging.models import Message, MessageStatus
from parentlink.messaging.webhooks import require_twilio_signature
from tests.builders import family_row, launched
from tests.conftest import TEST_AUTH_TOKEN

EXAMPLE_TOKEN = "12345"  # noqa: S105 - Twilio's published example
EXAMPLE_PARAMS = {
    "CallSid": "CA1234567890ABCDE",
    "Digits": "1234",
    "From": "+14158675309",
    "To": "+18005551212",
    "Caller": "+14158675309",
}
REPEATED_PARAMS = MultiDict(
    [("Sid", "CA123"), ("SidAccount", "AC123"), ("Digits", "5678"), ("Digits", "1234")]
)
# (our configured public URL, the signature Twilio published for the example request)
PUBLISHED = [
    ("https://mycompany.com", "RSOYDt4T1cUTdK1PDd93/VVr8B8="),  # signed as configured
    ("https://mycompany.com", "kvajT1Ptam85bY51eRf/AJRuM3w="),  # signed with :443 added
    ("https://mycompany.com:1234", "RSOYDt4T1cUTdK1PDd93/VVr8B8="),  # signed without the port
    ("http://mycompany.com:1234", "Zmvh+3yNM1Phv2jhDCwEM3q5ebU="),  # signed with its port
    ("http://mycompany.com", "0ZXoZLH/DfblKGATFgpif+LLRf4="),  # signed with :80 added
]


def _check(app, data, signature: str, host: str = "mycompany.com") -> bool:
    """Run our check on Twilio's example request as it reaches us (Host: `host`)."""
    with app.test_request_context(
        "/myapp.php?foo=1&bar=2",
        method="POST",
        data=data,
        headers={"X-Twilio-Signature": signature, "Host": host},
    ):
        try:
            require_twilio_signature()
        except Forbidden:
            return False
        return True


@pytest.mark.parametrize(("public_url", "published"), PUBLISHED)
def test_twilios_published_signatures_pass_for_the_configured_url(app, public_url, published):
    app.config.update(TWILIO_AUTH_TOKEN=EXAMPLE_TOKEN, PUBLIC_URL=public_url)
    assert _check(app, EXAMPLE_PARAMS, published)


def test_a_repeated_field_is_signed_with_every_value(app):
    app.config.update(TWILIO_AUTH_TOKEN=EXAMPLE_TOKEN, PUBLIC_URL="https://mycompany.com")
    assert _check(app, REPEATED_PARAMS, "IK+Dwps556ElfBT0I3Rgjkr1wJU=")
    only_first = MultiDict([("Sid", "CA123"), ("SidAccount", "AC123"), ("Digits", "5678")])
    assert not _check(app, only_first, "IK+Dwps556ElfBT0I3Rgjkr1wJU=")


def test_a_request_signed_for_another_deployment_is_refused_whatever_its_host_header(app):
    """A callback captured from a sister deployment on the same Twilio account carries a
    valid signature for *its* URL and can be replayed with a matching Host header."""
    app.config.update(TWILIO_AUTH_TOKEN=EXAMPLE_TOKEN, PUBLIC_URL="https://parentlink.example.com")
    assert not _check(app, EXAMPLE_PARAMS, "RSOYDt4T1cUTdK1PDd93/VVr8B8=", host="mycompany.com")
    forwarded = {"X-Forwarded-Host": "mycompany.com", "X-Forwarded-Proto": "https"}
    with (
        app.test_request_context(
            "/myapp.php?foo=1&bar=2",
            method="POST",
            data=EXAMPLE_PARAMS,
            headers={"X-Twilio-Signature": "RSOYDt4T1cUTdK1PDd93/VVr8B8=", **forwarded},
        ),
        pytest.raises(Forbidden),
    ):
        require_twilio_signature()


@pytest.fixture
def app_config(twilio_server) -> dict:
    return twilio_server.app_config()


def test_a_real_status_callback_with_a_repeated_field_is_applied(app, twilio_server):
    """Through the real endpoint: a report with a field given twice (Twilio adds fields
    over time) is accepted when signed over both values, and changes the message."""
    from parentlink.messaging.dispatcher import dispatch_pending

    with app.app_context():
        launched([family_row("P1", "C1")])
        dispatch_pending()
        db.session.commit()
    sid = twilio_server.messages[0]["sid"]
    form = MultiDict(
        [("MessageSid", sid), ("MessageStatus", "delivered"), ("Extra", "a"), ("Extra", "b")]
    )
    url = "http://parentlink.test/webhooks/twilio/status"
    signature = RequestValidator(TEST_AUTH_TOKEN).compute_signature(url, form)
    client = app.test_client()
    response = client.post(
        "/webhooks/twilio/status", data=form, headers={"X-Twilio-Signature": signature}
    )
    assert response.status_code == 204
    with app.app_context():
        assert db.session.scalar(select(Message.status)) is MessageStatus.DELIVERED
