"""Gateways against real local servers: a Twilio-compatible HTTP API and an SMTP server."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import flask_mail
import pytest
from flask import Flask

from parentlink.messaging.gateways.base import Outcome, Outgoing
from parentlink.messaging.gateways.sandbox import SandboxGateway, read_sandbox
from parentlink.messaging.gateways.smtp_email import SmtpEmailGateway
from parentlink.messaging.gateways.twilio_sms import TwilioSmsGateway, _RebasedHttpClient
from tests.fakes.smtp import CapturingSMTPServer
from tests.fakes.twilio_api import TwilioCompatibleServer

SENDER = "+447700900001"
CALLBACK = "https://parentlink.example.com/webhooks/twilio/status"


def sms(n: int = 1, to: str = "+447700900123", body: str = "Please confirm", **kw) -> Outgoing:
    return Outgoing(message_id=n, channel="sms", to=to, body=body, **kw)


def email(n: int, to: str) -> Outgoing:
    return Outgoing(
        message_id=n,
        channel="email",
        to=to,
        subject="Our social media agreement",
        body=f"Plain text for message {n}",
        html=f"<p>HTML for message {n}</p>",
        message_ref=f"<{n}.a1b2c3@parentlink.invalid>",
    )


@pytest.fixture
def twilio() -> Iterator[TwilioCompatibleServer]:
    with TwilioCompatibleServer() as server:
        yield server


@pytest.fixture
def gateway(twilio: TwilioCompatibleServer) -> Iterator[TwilioSmsGateway]:
    gw = TwilioSmsGateway(twilio.account_sid, twilio.auth_token, SENDER, api_url=twilio.base_url)
    yield gw
    gw.close()


# -- Twilio SMS ---------------------------------------------------------------------------


def test_sms_goes_through_the_real_client_to_the_api(twilio, gateway) -> None:
    result = gateway.send(sms(status_callback=CALLBACK))
    assert result.outcome is Outcome.ACCEPTED and result.provider_status == "queued"
    [logged] = twilio.messages
    assert result.provider_id == logged["sid"]
    assert (logged["to"], logged["from"], logged["body"]) == (
        "+447700900123",
        SENDER,
        "Please confirm",
    )
    assert logged["status_callback"] == CALLBACK


def test_no_status_callback_unless_given(twilio, gateway) -> None:
    gateway.send(sms())
    assert twilio.messages[0]["status_callback"] is None


def test_messaging_service_sid_is_sent_as_such(twilio) -> None:
    service = "MG" + "ab" * 16
    gw = TwilioSmsGateway(twilio.account_sid, twilio.auth_token, service, api_url=twilio.base_url)
    result = gw.send(sms())
    gw.close()
    assert result.provider_status == "accepted"
    assert twilio.resource(result.provider_id)["messaging_service_sid"] == service


def test_alphanumeric_sender_id(twilio) -> None:
    gw = TwilioSmsGateway(twilio.account_sid, twilio.auth_token, "CoatesLane", twilio.base_url)
    assert gw.send(sms()).outcome is Outcome.ACCEPTED
    gw.close()
    assert twilio.messages[0]["from"] == "CoatesLane"


def test_wrong_auth_token_is_retry_with_20003(twilio) -> None:
    gw = TwilioSmsGateway(twilio.account_sid, "not-the-token", SENDER, api_url=twilio.base_url)
    result = gw.send(sms())
    gw.close()
    assert (result.outcome, result.error_code) == (Outcome.RETRY, "20003")
    assert "auth token" in (result.reason or "")
    assert twilio.messages == []


@pytest.mark.parametrize(
    ("status", "code"), [(429, 20429), (500, 20500), (503, 20503)], ids=["429", "500", "503"]
)
def test_rate_limits_and_server_errors_are_retry(twilio, gateway, status, code) -> None:
    twilio.fail_next(status, code, "Try again")
    result = gateway.send(sms())
    assert (result.outcome, result.error_code) == (Outcome.RETRY, str(code))
    assert gateway.send(sms()).outcome is Outcome.ACCEPTED


def test_invalid_number_is_permanent_21211(gateway) -> None:
    result = gateway.send(sms(to="07700 900123"))
    assert (result.outcome, result.error_code) == (Outcome.PERMANENT, "21211")
    assert "not a valid phone number" in (result.reason or "")


@pytest.mark.parametrize(
    ("code", "words"), [(21610, "replied STOP"), (21614, "not a mobile"), (21612, "cannot deliver")]
)
def test_number_level_refusals_are_permanent(twilio, gateway, code, words) -> None:
    twilio.fail_next(400, code, "Refused")
    result = gateway.send(sms())
    assert (result.outcome, result.error_code) == (Outcome.PERMANENT, str(code))
    assert words in (result.reason or "")


def test_unknown_4xx_is_permanent_and_quotes_twilio(twilio, gateway) -> None:
    twilio.fail_next(400, 21999, "Something new")
    result = gateway.send(sms())
    assert (result.outcome, result.error_code) == (Outcome.PERMANENT, "21999")
    assert "Something new" in (result.reason or "")


def test_body_over_1600_characters_is_permanent_21617(gateway) -> None:
    result = gateway.send(sms(body="x" * 1601))
    assert (result.outcome, result.error_code) == (Outcome.PERMANENT, "21617")


def test_unreachable_api_is_retry() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # nothing listens here once closed
    gw = TwilioSmsGateway("AC" + "0" * 32, "token", SENDER, api_url=f"http://127.0.0.1:{port}")
    result = gw.send(sms())
    gw.close()
    assert result.outcome is Outcome.RETRY and "could not reach Twilio" in (result.reason or "")


def test_slow_api_is_retry(twilio) -> None:
    twilio.accept_delay = 0.5
    gw = TwilioSmsGateway(twilio.account_sid, twilio.auth_token, SENDER, twilio.base_url, 0.1)
    result = gw.send(sms())
    gw.close()
    assert result.outcome is Outcome.RETRY and "did not answer" in (result.reason or "")


def test_batch_and_threads_share_one_gateway(twilio, gateway) -> None:
    results = gateway.send_batch([sms(n, to=f"+4477009001{n:02d}") for n in range(5)])
    assert [r.outcome for r in results] == [Outcome.ACCEPTED] * 5

    def worker(k: int) -> None:
        for n in range(10):
            assert gateway.send(sms(n, body=f"thread {k}")).outcome is Outcome.ACCEPTED

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(twilio.messages) == 45
    assert len({m["sid"] for m in twilio.messages}) == 45


def test_rebase_keeps_path_and_query() -> None:
    http = _RebasedHttpClient("http://127.0.0.1:9/twilio/", timeout=1)
    url = "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages.json?To=%2B44&Page=1"
    assert (
        http.rebase(url)
        == "http://127.0.0.1:9/twilio/2010-04-01/Accounts/AC1/Messages.json?To=%2B44&Page=1"
    )
    assert _RebasedHttpClient("https://api.twilio.com", timeout=1).rebase(url) == url
    with pytest.raises(ValueError):
        _RebasedHttpClient("127.0.0.1:9", timeout=1)


# -- SMTP email ---------------------------------------------------------------------------


@pytest.fixture
def smtp() -> Iterator[CapturingSMTPServer]:
    with CapturingSMTPServer() as server:
        yield server


@pytest.fixture
def mail_app(smtp: CapturingSMTPServer) -> Flask:
    app = Flask(__name__)
    app.config.update(
        MAIL_SERVER=smtp.host,
        MAIL_PORT=smtp.port,
        MAIL_DEFAULT_SENDER=("Coates Lane Primary School", "office@example.com"),
    )
    return app


@pytest.fixture
def mailer(mail_app: Flask) -> SmtpEmailGateway:
    return SmtpEmailGateway(flask_mail.Mail(mail_app))


def test_one_batch_uses_one_connection(smtp, mailer) -> None:
    batch = [email(n, f"parent{n}@example.com") for n in range(1, 4)]
    results = mailer.send_batch(batch)
    assert [r.outcome for r in results] == [Outcome.ACCEPTED] * 3
    assert smtp.connections == 1
    assert [m.rcpt_tos for m in smtp.messages] == [[o.to] for o in batch]
    assert [r.provider_id for r in results] == [o.message_ref for o in batch]


def test_message_id_html_and_text_arrive(smtp, mailer) -> None:
    mailer.send(email(7, "parent@example.com"))
    [received] = smtp.messages
    assert received["Message-ID"] == "<7.a1b2c3@parentlink.invalid>"
    assert received["Subject"] == "Our social media agreement"
    assert received["From"] == "Coates Lane Primary School <office@example.com>"
    assert received.mail_from == "office@example.com"
    assert received.part("text/plain") == "Plain text for message 7"
    assert received.part("text/html") == "<p>HTML for message 7</p>"


def test_long_lines_and_any_characters_arrive_intact(smtp, mailer) -> None:
    """SMTP allows 998 characters a line: a long line (a paragraph, inline HTML) must be
    encoded, not refused; curly quotes, pound signs and Polish letters must survive."""
    body = "Zażółć gęślą jaźń: “quoted”, £5 — " * 60
    outgoing = Outgoing(
        message_id=9,
        channel="email",
        to="rodzic@example.com",
        subject="Umowa “social media” — Zażółć",
        body=body,
        html=f"<p>{body}</p>",
        message_ref="<9.a1b2c3@parentlink.invalid>",
        return_path="bounces+9-abc@parentlink.example.com",
    )
    assert mailer.send(outgoing).outcome is Outcome.ACCEPTED
    [received] = smtp.messages
    assert received["Subject"] == outgoing.subject
    assert received.part("text/plain") == body and received.part("text/html") == f"<p>{body}</p>"
    assert received.mail_from == "bounces+9-abc@parentlink.example.com"


def test_refused_recipient_is_permanent_and_others_still_go(smtp, mailer) -> None:
    smtp.refuse("gone@example.com")
    results = mailer.send_batch(
        [email(1, "a@example.com"), email(2, "gone@example.com"), email(3, "b@example.com")]
    )
    assert [r.outcome for r in results] == [Outcome.ACCEPTED, Outcome.PERMANENT, Outcome.ACCEPTED]
    assert results[1].error_code == "550" and "5.1.1 No such user" in (results[1].reason or "")
    assert results[1].bounce and not results[0].bounce  # the recipient itself was refused
    assert [m.rcpt_tos[0] for m in smtp.messages] == ["a@example.com", "b@example.com"]
    assert smtp.connections == 1


def test_temporary_refusal_is_retry(smtp, mailer) -> None:
    smtp.refuse("full@example.com", 451, "4.2.2 Mailbox full")
    result = mailer.send(email(1, "full@example.com"))
    assert (result.outcome, result.error_code) == (Outcome.RETRY, "451")
    assert "Mailbox full" in (result.reason or "")


@pytest.mark.parametrize(
    ("refuse", "code", "text"),
    [  # as Amazon SES, Google's SMTP relay and a relay counting connections word it
        ("refuse_data", 454, "Throttling failure: Maximum sending rate exceeded"),
        ("refuse_data", 454, "Throttling failure: Daily message quota exceeded"),
        ("refuse", 450, "4.2.1 Peak SMTP relay limit exceeded for this customer"),
        ("refuse_sender", 452, "4.3.2 Connection rate limit exceeded"),
    ],
)
def test_a_relay_refusing_our_rate_asks_to_slow_down(smtp, mailer, refuse, code, text) -> None:
    address = "office@example.com" if refuse == "refuse_sender" else "a@example.com"
    getattr(smtp, refuse)(address, code, text)
    result = mailer.send(email(1, "a@example.com"))
    assert (result.outcome, result.error_code, result.slow_down) == (Outcome.RETRY, str(code), True)
    assert text in (result.reason or "")


def test_one_mailbox_receiving_too_fast_waits_without_slowing_the_rest(smtp, mailer) -> None:
    smtp.refuse(
        "busy@example.com",
        450,
        "4.2.1 The user you are trying to contact is receiving mail at a rate that prevents "
        "additional messages from being delivered. Please resend your message at a later time.",
    )
    busy, other = mailer.send_batch([email(1, "busy@example.com"), email(2, "b@example.com")])
    assert (busy.outcome, busy.slow_down) == (Outcome.RETRY, False)
    assert other.outcome is Outcome.ACCEPTED


def test_a_421_rate_limit_closes_the_connection_and_slows_down(smtp, mailer) -> None:
    smtp.refuse(
        "a@example.com",
        421,
        "4.7.0 Our system has detected an unusual rate of unsolicited mail originating from "
        "your IP address. To protect our users from spam, mail sent from your IP address has "
        "been temporarily rate limited.",
    )
    first, rest = mailer.send_batch([email(1, "a@example.com"), email(2, "b@example.com")])
    assert (first.outcome, first.error_code, first.slow_down) == (Outcome.RETRY, "421", True)
    assert (rest.outcome, rest.slow_down) == (Outcome.RETRY, False)  # never offered
    assert "rate limited" in (rest.reason or "") and smtp.messages == []


def test_no_server_means_retry_for_the_whole_batch(smtp, mail_app) -> None:
    smtp.stop()  # the configured port now refuses connections
    gateway = SmtpEmailGateway(flask_mail.Mail(mail_app))
    results = gateway.send_batch([email(1, "a@example.com"), email(2, "b@example.com")])
    assert [r.outcome for r in results] == [Outcome.RETRY, Outcome.RETRY]
    assert "ConnectionRefusedError" in (results[0].reason or "")


def test_a_hung_server_times_out_as_retry(smtp, mail_app) -> None:
    smtp.data_delay = 2.0
    gateway = SmtpEmailGateway(flask_mail.Mail(mail_app), timeout=0.2)
    results = gateway.send_batch([email(1, "a@example.com"), email(2, "b@example.com")])
    assert [r.outcome for r in results] == [Outcome.RETRY, Outcome.RETRY]
    assert "timed out" in (results[0].reason or "")


def test_missing_sender_is_retry(smtp, mail_app) -> None:
    mail_app.config["MAIL_DEFAULT_SENDER"] = None
    gateway = SmtpEmailGateway(flask_mail.Mail(mail_app))
    result = gateway.send(email(1, "a@example.com"))
    assert result.outcome is Outcome.RETRY and "MAIL_DEFAULT_SENDER" in (result.reason or "")
    assert smtp.connections == 0


def test_suppressed_sending_says_so(smtp, mail_app) -> None:
    mail_app.config["MAIL_SUPPRESS_SEND"] = True  # Flask-Mail's default when app.testing
    result = SmtpEmailGateway(flask_mail.Mail(mail_app)).send(email(1, "a@example.com"))
    assert (result.outcome, result.provider_status) == (Outcome.ACCEPTED, "suppressed")
    assert smtp.messages == [] and smtp.connections == 0


def test_works_inside_an_existing_app_context(smtp, mail_app, mailer) -> None:
    with mail_app.app_context():
        assert mailer.send(email(1, "a@example.com")).outcome is Outcome.ACCEPTED
    assert len(smtp.messages) == 1


# -- sandbox ------------------------------------------------------------------------------


def test_sandbox_writes_lines_and_reads_newest_first(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "outbox.jsonl"
    gateway = SandboxGateway("sms", path)
    results = gateway.send_batch([sms(1, body="first"), sms(2, body="second")])
    results.append(gateway.send(sms(3, body="third")))
    assert all(r.outcome is Outcome.ACCEPTED and r.provider_id.startswith("SB") for r in results)
    lines = path.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["id"] for line in lines] == [1, 2, 3]
    newest = read_sandbox(path)
    assert [m["body"] for m in newest] == ["third", "second", "first"]
    assert newest[0]["provider_id"] == results[2].provider_id
    assert newest[0]["at"].endswith("Z") and newest[0]["channel"] == "sms"
    assert [m["id"] for m in read_sandbox(path, limit=2)] == [3, 2]


def test_sandbox_tolerates_missing_and_damaged_files(tmp_path: Path) -> None:
    assert read_sandbox(tmp_path / "nothing.jsonl") == []
    path = tmp_path / "outbox.jsonl"
    path.write_text('{"id": 1}\n{"id": 2, "bo', encoding="utf-8")
    assert read_sandbox(path) == [{"id": 1}]


def test_sandbox_lines_never_interleave(tmp_path: Path) -> None:
    path = tmp_path / "outbox.jsonl"
    gateway = SandboxGateway("email", path)

    def worker(k: int) -> None:
        for n in range(50):
            gateway.send(email(k * 100 + n, f"p{k}@example.com"))

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    records = read_sandbox(path, limit=1000)
    assert len(records) == 200 and len({r["id"] for r in records}) == 200
