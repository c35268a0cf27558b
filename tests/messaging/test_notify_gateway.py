"""The GOV.UK Notify gateway with the official client, against the local Notify-compatible
server: what is sent, how Notify's errors reach the office, and finding a message again."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import jwt
import pytest
import requests
from notifications_python_client.notifications import NotificationsAPIClient

from parentlink.messaging.gateways import notify as n
from parentlink.messaging.gateways.base import Outcome, Outgoing, ProviderUnavailable
from parentlink.messaging.gateways.notify import NotifyGateway


def _sms(server, key=None, **kwargs) -> NotifyGateway:
    return NotifyGateway(
        "sms", key or server.live_key, server.sms_template_id, base_url=server.base_url, **kwargs
    )


def _email(server, **kwargs) -> NotifyGateway:
    return NotifyGateway(
        "email", server.live_key, server.email_template_id, base_url=server.base_url, **kwargs
    )


def _text(message_id=7, to="+447700900123", body="Coates Lane: please confirm") -> Outgoing:
    return Outgoing(message_id=message_id, channel="sms", to=to, body=body)


def _mail(message_id=8, to="carer@example.com") -> Outgoing:
    return Outgoing(
        message_id=message_id, channel="email", to=to, body="Dear carer", subject="Agreement"
    )


def test_an_sms_and_an_email_go_through_notify_with_our_reference(notify_server):
    sms = _sms(notify_server, sms_sender_id=notify_server.sms_sender_id).send(_text())
    email = _email(notify_server, email_reply_to_id=notify_server.email_reply_to_id).send(_mail())
    assert sms.outcome is Outcome.ACCEPTED and email.outcome is Outcome.ACCEPTED
    text, mail = notify_server.notifications
    assert text["id"] == sms.provider_id and text["reference"] == "parentlink-7"
    assert text["body"] == "Coates Lane: please confirm"  # the ((body)) placeholder, filled
    assert mail["subject"] == "Agreement" and mail["body"] == "Dear carer"
    assert mail["reference"] == "parentlink-8"
    assert "GOV.UK Notify accepted notification" in sms.extra["description"]


@pytest.mark.parametrize(
    ("status", "error", "message", "code", "outcome", "words"),
    [
        (429, "RateLimitError", "Exceeded rate limit for key type LIVE of 3000 requests per "
         "60 seconds", n.RATE_LIMIT, Outcome.RETRY, "slow down"),
        (429, "TooManyRequestsError", "Exceeded send limits (250000) for today",
         n.DAILY_LIMIT, Outcome.RETRY, "daily sending limit"),
        (500, "Exception", "Internal server error", n.DOWN, Outcome.RETRY, "may be down"),
        (403, "AuthError", "Invalid token: API key not found", n.AUTH, Outcome.RETRY,
         "PARENTLINK_NOTIFY_API_KEY"),
        (400, "BadRequestError", "Can’t send to this recipient when service is in trial mode "
         "- see https://www.notifications.service.gov.uk/trial-mode", n.TRIAL_MODE,
         Outcome.RETRY, "trial mode"),
    ],
)  # fmt: skip
def test_notifys_errors_reach_the_office_by_kind(
    notify_server, status, error, message, code, outcome, words
):
    notify_server.fail_next(status, error, message)
    result = _sms(notify_server).send(_text())
    assert (result.outcome, result.error_code) == (outcome, code)
    assert words in result.reason and message in result.reason
    assert result.slow_down is (code == n.RATE_LIMIT)
    assert notify_server.notifications == []


def test_a_number_notify_refuses_fails_for_good_and_says_why(notify_server):
    result = _sms(notify_server).send(_text(to="+441632960000"))  # a landline
    assert result.outcome is Outcome.PERMANENT and result.error_code == n.BAD_NUMBER
    assert result.reason == "GOV.UK Notify refused the mobile number: Not a UK mobile number"
    bad = _sms(notify_server).send(_text(to="07700 9OO123"))
    assert "Must not contain letters or symbols" in bad.reason
    foreign = _sms(notify_server).send(_text(to="+33612345678"))
    assert foreign.error_code == n.INTERNATIONAL and "international" in foreign.reason


def test_a_team_only_key_sends_to_the_team_and_explains_itself_otherwise(notify_server):
    gateway = _sms(notify_server, key=notify_server.team_key)
    notify_server.team_members.add("+447700900001")
    assert gateway.send(_text(to="+447700900001")).outcome is Outcome.ACCEPTED
    refused = gateway.send(_text(to="+447700900002"))
    assert refused.outcome is Outcome.RETRY and refused.error_code == n.TEAM_KEY
    assert "team-only key" in refused.reason and "live key" in refused.reason


def test_a_template_notify_does_not_know_or_with_other_placeholders_is_our_setup(notify_server):
    unknown = NotifyGateway(
        "sms", notify_server.live_key, "0b1ec3c6-3a8e-4c52-9b52-0f7d1c4a9a11",
        base_url=notify_server.base_url,
    ).send(_text())  # fmt: skip
    assert (
        unknown.error_code == n.TEMPLATE and "PARENTLINK_NOTIFY_SMS_TEMPLATE_ID" in unknown.reason
    )
    notify_server.templates[notify_server.sms_template_id]["content"] = "Hi ((name)): ((body))"
    missing = _sms(notify_server).send(_text())
    assert missing.outcome is Outcome.RETRY and missing.error_code == n.PLACEHOLDER
    assert "Missing personalisation: name" in missing.reason


def test_notify_out_of_reach_is_a_retry_not_a_failure():
    gateway = NotifyGateway(
        "sms", "k-" + "0" * 8 + "-0000-4000-8000-" + "0" * 12 + "-" + "1" * 8 + "-1111-4111-8111-"
        + "1" * 12, "0b1ec3c6-3a8e-4c52-9b52-0f7d1c4a9a11", base_url="http://127.0.0.1:9",
    )  # fmt: skip
    result = gateway.send(_text())
    assert result.outcome is Outcome.RETRY and result.error_code == n.DOWN
    assert "could not be reached" in result.reason


def test_a_message_notify_took_is_found_by_our_reference(notify_server):
    gateway = _sms(notify_server)
    since = datetime.now(UTC) - timedelta(minutes=2)
    assert gateway.find_accepted(_text(message_id=41), since) is None
    accepted = gateway.send(_text(message_id=41))
    gateway.send(_text(message_id=42, to="+447700900124"))
    assert gateway.find_accepted(_text(message_id=41), since) == accepted.provider_id
    # the same reference to someone else (another ParentLink on the service) is not ours
    assert gateway.find_accepted(_text(message_id=41, to="+447700900555"), since) is None
    assert gateway.find_accepted(_text(message_id=41), datetime.now(UTC) + timedelta(1)) is None
    notify_server.set_status(accepted.provider_id, "technical-failure")  # never left Notify
    assert gateway.find_accepted(_text(message_id=41), since) is None


def test_reconciling_while_notify_is_down_raises_rather_than_guessing():
    gateway = NotifyGateway(
        "email", "k-" + "0" * 8 + "-0000-4000-8000-" + "0" * 12 + "-" + "1" * 8 + "-1111-4111-8111-"
        + "1" * 12, "0b1ec3c6-3a8e-4c52-9b52-0f7d1c4a9a11", base_url="http://127.0.0.1:9",
    )  # fmt: skip
    with pytest.raises(ProviderUnavailable):
        gateway.find_accepted(_mail(), datetime.now(UTC))


# -- the local server checks keys and tokens as Notify does ------------------------------


def _get(server, token: str | None):
    headers = {} if token is None else {"Authorization": f"Bearer {token}"}
    return requests.get(f"{server.base_url}/v2/notifications", headers=headers, timeout=5)


def test_the_server_checks_the_jwt_as_notify_does(notify_server):
    secret = notify_server.live_key[-36:]
    service = notify_server.service_id

    def token(iss=service, iat=None, key=secret, alg="HS256"):
        claims = {"iss": iss, "iat": int(time.time()) if iat is None else iat}
        return jwt.encode(claims, key, algorithm=alg)

    assert _get(notify_server, token()).status_code == 200
    assert _get(notify_server, token(iat=int(time.time()) - 20)).status_code == 200
    cases = {
        None: (401, "authentication token must be provided"),
        token(iat=int(time.time()) - 90): (403, "accurate to within 30 seconds"),
        token(iat=int(time.time()) + 90): (403, "accurate to within 30 seconds"),
        token(key="not-the-secret-" + "x" * 30): (403, "API key not found"),
        token(iss="not-a-uuid"): (403, "service id is not the right data type"),
        token(iss="0b1ec3c6-3a8e-4c52-9b52-0f7d1c4a9a11"): (403, "service not found"),
        token(key=secret * 2, alg="HS512"): (403, "not HS256"),
    }
    for bad, (status, words) in cases.items():
        answer = _get(notify_server, bad)
        assert answer.status_code == status, words
        assert words in answer.json()["errors"][0]["message"]
    assert (
        requests.get(
            f"{notify_server.base_url}/v2/notifications",
            headers={"Authorization": f"Basic {token()}"},
            timeout=5,
        ).status_code
        == 401
    )


def test_the_official_client_pages_through_the_servers_list(notify_server):
    client = NotificationsAPIClient(notify_server.live_key, base_url=notify_server.base_url)
    client.request_session.trust_env = False
    for i in range(260):
        client.send_sms_notification("07700900123", notify_server.sms_template_id,
                                     {"body": f"text {i}"}, reference="same")  # fmt: skip
    listed = list(client.get_all_notifications_iterator(reference="same"))
    assert len(listed) == 260 and listed[0]["body"] == "text 259"
    one = client.get_notification_by_id(listed[-1]["id"])
    assert one["status"] == "created" and one["phone_number"] == "07700900123"


def test_settings_for_notify_are_checked_at_start_up(notify_server):
    from parentlink import create_app
    from parentlink.config import ConfigError

    good = {"ENV_NAME": "test", **notify_server.app_config()}
    create_app(good)
    bad = {
        "NOTIFY_API_KEY": ("parentlink-not-a-key", "is not a GOV.UK Notify API key"),
        "NOTIFY_SMS_TEMPLATE_ID": ("", "PARENTLINK_NOTIFY_SMS_TEMPLATE_ID is empty"),
        "NOTIFY_SMS_SENDER_ID": ("my sender", "must be an ID as Notify shows it"),
        "NOTIFY_API_URL": ("ftp://notify", "must be an http\\(s\\) address"),
    }
    for name, (value, words) in bad.items():
        with pytest.raises(ConfigError, match=words):
            create_app({**good, name: value})
    real = {**good, "NOTIFY_API_URL": "https://api.notifications.service.gov.uk"}
    with pytest.raises(ConfigError, match="3,000 requests a minute"):
        create_app({**real, "SMS_PER_SECOND": 40, "EMAIL_PER_SECOND": 20})
    with pytest.raises(ConfigError, match="3,000 requests a minute"):
        create_app({**real, "SMS_PER_SECOND": 0})
    create_app({**real, "SMS_PER_SECOND": 30, "EMAIL_PER_SECOND": 20})
    # email only through Notify, SMS through Twilio: the SMS template is not needed
    create_app({**good, "SMS_GATEWAY": "sandbox", "NOTIFY_SMS_TEMPLATE_ID": ""})


def test_the_servers_limits_answer_as_notifys_do(notify_server):
    gateway = _sms(notify_server)
    notify_server.limit(30)  # a burst of 10, then half a request a second
    results = [gateway.send(_text(message_id=i)) for i in range(12)]
    assert [r.outcome for r in results[:10]] == [Outcome.ACCEPTED] * 10
    assert results[10].error_code == n.RATE_LIMIT and results[10].slow_down
    assert "Exceeded rate limit for key type LIVE of 30 requests per 60 seconds" in (
        results[10].reason
    )
    notify_server.limit(None)
    notify_server.daily_limit(len(notify_server.notifications))
    refused = gateway.send(_text(message_id=99))
    assert refused.error_code == n.DAILY_LIMIT and not refused.slow_down
    assert f"Exceeded send limits ({len(notify_server.notifications)}) for today" in refused.reason
