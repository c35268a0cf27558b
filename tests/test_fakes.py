"""The local stand-ins behave like the services they replace (real sockets, no mocks)."""

from __future__ import annotations

import smtplib
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlencode

import pytest
import requests
from twilio.request_validator import RequestValidator
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from parentlink.messaging.gateways.twilio_sms import TwilioSmsGateway
from tests.fakes.smtp import CapturingSMTPServer
from tests.fakes.twilio_api import TwilioCompatibleServer, num_segments

SENDER = "+447700900001"


@pytest.fixture
def twilio() -> Iterator[TwilioCompatibleServer]:
    with TwilioCompatibleServer() as server:
        yield server


@pytest.fixture
def api(twilio: TwilioCompatibleServer) -> Iterator[requests.Session]:
    with requests.Session() as session:
        session.auth = (twilio.account_sid, twilio.auth_token)
        session.trust_env = False
        yield session


@pytest.fixture
def client(twilio: TwilioCompatibleServer) -> Iterator[Any]:
    """The real `twilio.rest.Client`, pointed at the fake the way the gateway does it."""
    gateway = TwilioSmsGateway(twilio.account_sid, twilio.auth_token, SENDER, twilio.base_url)
    yield gateway.client
    gateway.close()


def messages_url(twilio: TwilioCompatibleServer, account: str | None = None) -> str:
    return f"{twilio.base_url}/2010-04-01/Accounts/{account or twilio.account_sid}/Messages.json"


def post(api: requests.Session, twilio: TwilioCompatibleServer, **form: str) -> requests.Response:
    return api.post(messages_url(twilio), data=form, timeout=5)


def test_create_returns_a_twilio_message_resource(twilio, api) -> None:
    reply = post(api, twilio, To="+447700900123", From=SENDER, Body="Hello")
    assert reply.status_code == 201
    body = reply.json()
    assert body["sid"].startswith("SM") and len(body["sid"]) == 34
    assert body["account_sid"] == twilio.account_sid
    assert (body["to"], body["from"], body["body"]) == ("+447700900123", SENDER, "Hello")
    assert (body["status"], body["num_segments"], body["direction"]) == (
        "queued",
        "1",
        "outbound-api",
    )
    assert body["price"] is None and body["error_code"] is None
    assert body["api_version"] == "2010-04-01"
    assert body["uri"] == f"/2010-04-01/Accounts/{twilio.account_sid}/Messages/{body['sid']}.json"
    created = parsedate_to_datetime(body["date_created"])
    assert abs(created - datetime.now(UTC)) < timedelta(seconds=5)
    assert body["date_created"].endswith("+0000")
    assert twilio.messages[0]["sid"] == body["sid"] and twilio.requests == 1


@pytest.mark.parametrize(
    ("auth", "account"),
    [
        (("wrong", "token"), None),
        (None, None),
        ("right", "AC" + "0" * 32),
    ],
    ids=["bad-credentials", "no-credentials", "other-account"],
)
def test_authentication_failures_are_twilio_20003(twilio, auth, account) -> None:
    credentials = (twilio.account_sid, twilio.auth_token) if auth == "right" else auth
    reply = requests.post(
        messages_url(twilio, account), data={"To": "+447700900123"}, auth=credentials, timeout=5
    )
    assert reply.status_code == 401
    assert reply.json() == {
        "code": 20003,
        "message": "Authenticate",
        "more_info": "https://www.twilio.com/docs/errors/20003",
        "status": 401,
    }
    assert twilio.messages == []


@pytest.mark.parametrize(
    ("form", "code"),
    [
        ({"To": "07700900123", "From": SENDER, "Body": "x"}, 21211),
        ({"To": "+447700900123", "From": SENDER}, 21602),
        ({"To": "+447700900123", "From": SENDER, "Body": "x" * 1601}, 21617),
        ({"To": "+447700900123", "Body": "x"}, 21603),
        ({"From": SENDER, "Body": "x"}, 21604),
        ({"To": "+447700900123", "From": "not a sender!", "Body": "x"}, 21212),
    ],
)
def test_validation_errors_use_twilio_codes(twilio, api, form, code) -> None:
    reply = post(api, twilio, **form)
    assert reply.status_code == 400
    assert reply.json()["code"] == code
    assert reply.json()["more_info"] == f"https://www.twilio.com/docs/errors/{code}"
    assert twilio.messages == []


def test_invalid_to_message_names_the_number(twilio, api) -> None:
    reply = post(api, twilio, To="12345", From=SENDER, Body="x")
    assert reply.json()["message"] == "The 'To' number 12345 is not a valid phone number."


def test_alphanumeric_sender_and_messaging_service(twilio, api) -> None:
    assert post(api, twilio, To="+447700900123", From="CoatesLane", Body="x").status_code == 201
    service = "MG" + "1" * 32
    reply = post(api, twilio, To="+447700900123", MessagingServiceSid=service, Body="x")
    assert reply.json()["status"] == "accepted"
    assert reply.json()["messaging_service_sid"] == service and reply.json()["from"] is None


def test_segments_follow_gsm7_and_ucs2() -> None:
    assert num_segments("a" * 160) == 1
    assert num_segments("a" * 161) == 2
    assert num_segments("€" * 80) == 1  # extension characters count twice
    assert num_segments("é" * 160) == 1  # é is in GSM-7
    assert num_segments("ł" * 70) == 1 and num_segments("ł" * 71) == 2


def test_fail_next_applies_once(twilio, api) -> None:
    twilio.fail_next(429, 20429, "Too Many Requests")
    first = post(api, twilio, To="+447700900123", From=SENDER, Body="x")
    assert (first.status_code, first.json()["code"]) == (429, 20429)
    assert post(api, twilio, To="+447700900123", From=SENDER, Body="x").status_code == 201


def test_fetch_one_message_and_unknown_is_20404(twilio, api, client) -> None:
    sid = post(api, twilio, To="+447700900123", From=SENDER, Body="Hi").json()["sid"]
    assert client.messages(sid).fetch().body == "Hi"
    missing = api.get(messages_url(twilio).replace(".json", f"/SM{'0' * 32}.json"), timeout=5)
    assert (missing.status_code, missing.json()["code"]) == (404, 20404)


def test_list_filters_by_to_and_pages_like_twilio(twilio, api, client) -> None:
    for n in range(5):
        post(api, twilio, To="+447700900111", From=SENDER, Body=f"one {n}")
    post(api, twilio, To="+447700900222", From=SENDER, Body="two")
    page = api.get(messages_url(twilio), params={"To": "+447700900111", "PageSize": 2}, timeout=5)
    payload = page.json()
    assert [m["body"] for m in payload["messages"]] == ["one 4", "one 3"]  # newest first
    assert (payload["page"], payload["page_size"], payload["start"]) == (0, 2, 0)
    assert payload["previous_page_uri"] is None and "PageToken=PA" in payload["next_page_uri"]
    assert payload["uri"].startswith(f"/2010-04-01/Accounts/{twilio.account_sid}/Messages.json?")
    # The real client follows next_page_uri through every page.
    listed = client.messages.list(to="+447700900111", page_size=2)
    assert [m.body for m in listed] == [f"one {n}" for n in range(4, -1, -1)]
    assert [m.to for m in client.messages.list(to="+447700900222")] == ["+447700900222"]


def test_list_date_sent_filters(twilio, api, client) -> None:
    post(api, twilio, To="+447700900111", From=SENDER, Body="today")
    today = datetime.now(UTC)
    yesterday, tomorrow = today - timedelta(days=1), today + timedelta(days=1)
    assert len(client.messages.list(date_sent=today.date().isoformat())) == 1
    assert len(client.messages.list(date_sent_after=yesterday)) == 1
    assert len(client.messages.list(date_sent_after=tomorrow)) == 0
    assert len(client.messages.list(date_sent_before=yesterday)) == 0
    bad = api.get(messages_url(twilio), params={"DateSent": "last week"}, timeout=5)
    assert bad.status_code == 400


class CallbackApp:
    """A small real webhook that checks X-Twilio-Signature like the app will."""

    def __init__(self, auth_token: str) -> None:
        self.validator = RequestValidator(auth_token)
        self.received: list[dict[str, Any]] = []
        self.server = make_server("127.0.0.1", 0, self, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}/webhooks/twilio/status?school=1"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        signature = request.headers.get("X-Twilio-Signature", "")
        ok = self.validator.validate(request.url, request.form, signature)
        self.received.append({"form": request.form.to_dict(), "signature": signature, "ok": ok})
        return Response("", status=204 if ok else 403)(environ, start_response)


@pytest.fixture
def callback_app(twilio: TwilioCompatibleServer) -> Iterator[CallbackApp]:
    app = CallbackApp(twilio.auth_token)
    app.thread.start()
    yield app
    app.server.shutdown()
    app.server.server_close()


def test_post_status_is_signed_like_twilio(twilio, api, callback_app) -> None:
    sid = post(
        api, twilio, To="+447700900123", From=SENDER, Body="x", StatusCallback=callback_app.url
    ).json()["sid"]
    assert twilio.post_status(sid, "delivered") == 204
    assert twilio.post_status(sid, "undelivered", error_code=30003) == 204
    delivered, undelivered = callback_app.received
    assert delivered["ok"] and undelivered["ok"]
    assert delivered["form"] == {
        "MessageSid": sid,
        "SmsSid": sid,
        "MessageStatus": "delivered",
        "SmsStatus": "delivered",
        "AccountSid": twilio.account_sid,
        "To": "+447700900123",
        "From": SENDER,
        "ApiVersion": "2010-04-01",
    }
    assert undelivered["form"]["ErrorCode"] == "30003"
    assert twilio.resource(sid)["status"] == "undelivered"
    assert twilio.resource(sid)["error_code"] == 30003

    # Replaying the signed report with one field changed must be rejected.
    tampered = dict(delivered["form"], MessageStatus="failed")
    request = urllib.request.Request(
        callback_app.url,
        data=urlencode(tampered).encode(),
        headers={"X-Twilio-Signature": delivered["signature"]},
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.build_opener(urllib.request.ProxyHandler({})).open(request, timeout=5)
    refused.value.close()
    assert refused.value.code == 403 and callback_app.received[-1]["ok"] is False


def test_post_status_needs_a_callback(twilio, api) -> None:
    sid = post(api, twilio, To="+447700900123", From=SENDER, Body="x").json()["sid"]
    with pytest.raises(ValueError, match="no StatusCallback"):
        twilio.post_status(sid, "delivered")


# -- SMTP ---------------------------------------------------------------------------------


def email(to: str, subject: str = "Hello") -> EmailMessage:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "office@example.com", to, subject
    message.set_content("Plain text")
    return message


def test_smtp_captures_messages_envelopes_and_connections() -> None:
    with CapturingSMTPServer() as smtp:
        assert smtp.connections == 0  # aiosmtpd's readiness probe is not counted
        with smtplib.SMTP(smtp.host, smtp.port, timeout=5) as conn:
            conn.send_message(email("a@example.com", "First"))
            conn.send_message(email("b@example.com", "Second"))
        with smtplib.SMTP(smtp.host, smtp.port, timeout=5) as conn:
            conn.send_message(email("c@example.com"))
        assert smtp.connections == 2
        first = smtp.wait_for(3)[0]
        assert first["Subject"] == "First" and first.part("text/plain") == "Plain text\n"
        assert (first.mail_from, first.rcpt_tos) == ("office@example.com", ["a@example.com"])
        assert [m["Subject"] for m in smtp.to("B@example.com")] == ["Second"]


@pytest.mark.parametrize(("code", "text"), [(550, "5.1.1 No such user"), (451, "4.3.0 Try later")])
def test_smtp_refuses_a_recipient(code: int, text: str) -> None:
    with CapturingSMTPServer() as smtp:
        smtp.refuse("gone@example.com", code, text)
        with smtplib.SMTP(smtp.host, smtp.port, timeout=5) as conn:
            with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
                conn.send_message(email("gone@example.com"))
            assert refused.value.recipients["gone@example.com"] == (code, text.encode())
            conn.send_message(email("here@example.com"))
        assert [m.rcpt_tos for m in smtp.messages] == [["here@example.com"]]


def test_smtp_server_stops_listening() -> None:
    smtp = CapturingSMTPServer().start()
    port = smtp.port
    assert isinstance(port, int) and port > 0
    smtp.stop()
    with pytest.raises(OSError):
        smtplib.SMTP("127.0.0.1", port, timeout=2)
