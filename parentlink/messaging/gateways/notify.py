"""SMS and email through GOV.UK Notify, with the official `notifications-python-client`.

One gateway instance per channel. Each message is sent with the school's one template for
that channel, whose content is only placeholders ParentLink fills: `((body))` for text
messages, `((subject))` and `((body))` for emails. Our message id goes in Notify's
`reference`, so a message left in `sending` by a crash is found again by asking Notify
for notifications with that reference (`find_accepted`) before anything is resent.

The API base URL is configurable (`base_url`): tests, benchmarks and sandboxes point the
unchanged client at a local Notify-compatible server. The client is not thread-safe (one
`requests.Session` each), so each sending thread gets its own.

Errors are read by kind from Notify's documented answers (HTTP status, then
`errors[0].error`, then its message): see `_failure`.
"""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime
from urllib.parse import urlsplit

import requests
from notifications_python_client.errors import APIError
from notifications_python_client.notifications import NotificationsAPIClient

from parentlink.messaging.gateways.base import (
    OneRequestEach,
    Outgoing,
    ProviderUnavailable,
    SendResult,
)

DEFAULT_API_URL = "https://api.notifications.service.gov.uk"
NOTIFY_RATE_PER_MINUTE = 3000  # Notify's per-service limit on API requests
_LOOPBACK = {"127.0.0.1", "localhost", "::1"}
# A notification Notify took but then could not hand to its providers was never sent.
NOT_SENT = frozenset({"technical-failure", "validation-failed", "cancelled"})

# Our error codes (DeliveryEvent.error_code is 20 characters at most).
BAD_NUMBER = "notify-bad-number"
BAD_EMAIL = "notify-bad-email"
TEAM_KEY = "notify-team-key"
TRIAL_MODE = "notify-trial-mode"
TEMPLATE = "notify-template"
PLACEHOLDER = "notify-placeholder"
RATE_LIMIT = "notify-rate-limit"
DAILY_LIMIT = "notify-daily-limit"
AUTH = "notify-auth"
DOWN = "notify-down"
SENDER = "notify-sender"
INTERNATIONAL = "notify-international"


def parse_api_key(api_key: str) -> tuple[str, str]:
    """(service id, secret) of a Notify API key `<name>-<service id>-<secret>`; ValueError
    with a clear message otherwise. The client takes the last 73 characters the same way."""
    key = (api_key or "").strip()
    service_id, secret = key[-73:-37], key[-36:]
    try:
        uuid.UUID(service_id)
        uuid.UUID(secret)
    except ValueError:
        raise ValueError(
            "is not a GOV.UK Notify API key: it should end with two ids "
            "(<key name>-<service id>-<secret>), as Notify shows it once when you create it"
        ) from None
    if len(key) < 74 or key[-74] != "-" or key[-37] != "-":
        raise ValueError("is not a GOV.UK Notify API key (<key name>-<service id>-<secret>)")
    return service_id, secret


class NotifyGateway(OneRequestEach):
    per_message = True  # one HTTP request per message: the dispatcher's pool sends them

    def __init__(
        self,
        channel: str,
        api_key: str,
        template_id: str,
        base_url: str = DEFAULT_API_URL,
        sms_sender_id: str | None = None,
        email_reply_to_id: str | None = None,
        timeout: float = 10,
    ) -> None:
        if channel not in ("sms", "email"):
            raise ValueError(f"Notify sends sms or email, not {channel!r}")
        target = urlsplit(base_url)
        if target.scheme not in {"http", "https"} or not target.netloc:
            raise ValueError(f"the Notify API URL must be an http(s) URL, not {base_url!r}")
        parse_api_key(api_key)
        self.channel = channel
        self.api_key = api_key.strip()
        self.template_id = template_id
        self.base_url = base_url.rstrip("/")
        self.sms_sender_id = sms_sender_id or None
        self.email_reply_to_id = email_reply_to_id or None
        self.timeout = timeout
        self._local_host = target.hostname in _LOOPBACK
        self._local = threading.local()
        self._clients: list[NotificationsAPIClient] = []
        self._clients_lock = threading.Lock()

    @property
    def client(self) -> NotificationsAPIClient:
        client = getattr(self._local, "client", None)
        if client is None:
            client = NotificationsAPIClient(self.api_key, base_url=self.base_url)
            client.timeout = self.timeout
            if self._local_host:
                client.request_session.trust_env = False  # never via a proxy to a local server
            self._local.client = client
            with self._clients_lock:
                self._clients.append(client)
        return client

    def send(self, outgoing: Outgoing) -> SendResult:
        reference = reference_for(outgoing.message_id)
        try:
            if self.channel == "sms":
                answer = self.client.send_sms_notification(
                    phone_number=outgoing.to,
                    template_id=self.template_id,
                    personalisation={"body": outgoing.body},
                    reference=reference,
                    sms_sender_id=self.sms_sender_id,
                )
            else:
                answer = self.client.send_email_notification(
                    email_address=outgoing.to,
                    template_id=self.template_id,
                    personalisation={"subject": outgoing.subject or "", "body": outgoing.body},
                    reference=reference,
                    email_reply_to_id=self.email_reply_to_id,
                )
        except APIError as exc:
            return self._failure(exc)
        except requests.RequestException as exc:  # the client wraps these; to be safe
            reason = f"could not reach GOV.UK Notify at {self.base_url}: {exc}"
            return SendResult.retry(reason, DOWN)
        notification_id = str((answer or {}).get("id") or "")
        if not notification_id:
            return SendResult.retry("GOV.UK Notify answered without a notification id", DOWN)
        result = SendResult.accepted(notification_id, "created")
        result.extra["description"] = describe(answer)
        return result

    def find_accepted(self, outgoing: Outgoing, since: datetime) -> str | None:
        """The id of a notification Notify took for this message (our reference, the same
        recipient, created at or after `since`), unless Notify says it never left; else
        None. Raises ProviderUnavailable when Notify cannot be asked."""
        try:
            found = self.client.get_all_notifications_iterator(
                reference=reference_for(outgoing.message_id)
            )
            for notification in found:
                if notification.get("type") != self.channel:
                    continue
                field = "phone_number" if self.channel == "sms" else "email_address"
                if not same_recipient(self.channel, notification.get(field) or "", outgoing.to):
                    continue
                created = _parse_time(notification.get("created_at"))
                if created is not None and created < since:
                    continue
                if notification.get("status") in NOT_SENT:
                    continue
                return str(notification["id"])
        except APIError as exc:
            raise ProviderUnavailable(f"could not list GOV.UK Notify notifications: {exc}") from exc
        except requests.RequestException as exc:
            raise ProviderUnavailable(f"could not reach GOV.UK Notify: {exc}") from exc
        return None

    def close(self) -> None:
        with self._clients_lock:
            clients, self._clients = self._clients, []
        for client in clients:
            client.request_session.close()
        self._local = threading.local()

    def _failure(self, exc: APIError) -> SendResult:
        status = exc.status_code
        kind, text = _first_error(exc)
        said = f" (Notify said: {kind}: {text})" if text else ""
        if exc.response is None:  # no answer at all: connection refused, timeout, DNS
            return SendResult.retry(
                f"GOV.UK Notify could not be reached at {self.base_url}: it may be down; "
                "the message will be tried again",
                DOWN,
            )
        if status == 429 and kind == "TooManyRequestsError":
            return SendResult.retry(
                "GOV.UK Notify's daily sending limit for this service is used up; the message "
                f"will be tried again later (ask Notify to raise the limit if it recurs){said}",
                DAILY_LIMIT,
            )
        if status == 429:
            return SendResult.throttled(
                f"GOV.UK Notify asked us to slow down (HTTP 429, its limit is "
                f"{NOTIFY_RATE_PER_MINUTE:,} a minute){said}",
                RATE_LIMIT,
            )
        if status >= 500:
            return SendResult.retry(
                f"GOV.UK Notify had a server error (HTTP {status}): it may be down; the "
                f"message will be tried again{said}",
                DOWN,
            )
        if status in (401, 403):
            return SendResult.retry(
                f"GOV.UK Notify refused ParentLink's API key (HTTP {status}): check "
                f"PARENTLINK_NOTIFY_API_KEY and this server's clock{said}",
                AUTH,
            )
        lowered = text.lower()
        if "team-only api key" in lowered:
            return SendResult.retry(
                "ParentLink's GOV.UK Notify key is a team-only key, which can only send to "
                "members of the school's Notify team: create a live key in Notify's "
                f"'API integration' page and set PARENTLINK_NOTIFY_API_KEY{said}",
                TEAM_KEY,
            )
        if "trial mode" in lowered:
            return SendResult.retry(
                "the school's GOV.UK Notify service is in trial mode and can only send to its "
                f"own team: ask Notify to make the service live{said}",
                TRIAL_MODE,
            )
        if text.startswith("phone_number"):
            return SendResult.permanent(
                f"GOV.UK Notify refused the mobile number: {text.removeprefix('phone_number ')}",
                BAD_NUMBER,
            )
        if "international" in lowered:
            return SendResult.permanent(
                "the school's GOV.UK Notify service may not send to international numbers "
                f"(Notify's service settings can allow it){said}",
                INTERNATIONAL,
            )
        if text.startswith("email_address"):
            return SendResult.bounced(
                f"GOV.UK Notify refused the email address: {text.removeprefix('email_address ')}",
                BAD_EMAIL,
            )
        if "template" in lowered:
            return SendResult.retry(
                f"GOV.UK Notify does not know ParentLink's {self.channel} template: check "
                f"PARENTLINK_NOTIFY_{self.channel.upper()}_TEMPLATE_ID{said}",
                TEMPLATE,
            )
        if "missing personalisation" in lowered:
            return SendResult.retry(
                f"the {self.channel} template in GOV.UK Notify has placeholders ParentLink does "
                "not fill: its content must be only ((body))"
                + (" and its subject ((subject))" if self.channel == "email" else "")
                + said,
                PLACEHOLDER,
            )
        if "sms_sender_id" in lowered or "email_reply_to_id" in lowered:
            return SendResult.retry(
                "GOV.UK Notify does not know the sender / reply-to id in ParentLink's "
                f"settings{said}",
                SENDER,
            )
        return SendResult.permanent(
            f"GOV.UK Notify refused the message (HTTP {status}){said}", str(status)
        )


def reference_for(message_id: int) -> str:
    return f"parentlink-{message_id}"


def message_id_from(reference: object) -> int | None:
    """Our message id from a `reference_for` reference; None for anything else."""
    prefix, _, number = str(reference or "").partition("-")
    if prefix != "parentlink" or not number.isascii() or not number.isdigit():
        return None
    return int(number) if len(number) <= 9 else None  # an id fits the database's integer


def describe(answer: dict) -> str:
    """Notify's answer to a send, for people (the "send a test" page)."""
    content = answer.get("content") or {}
    sender = content.get("from_number") or content.get("from_email")
    parts = [f"GOV.UK Notify accepted notification {answer.get('id')}"]
    if sender:
        parts.append(f"from {sender}")
    template = answer.get("template") or {}
    if template.get("version") is not None:
        parts.append(f"template version {template['version']}")
    return ", ".join(parts)


def _first_error(exc: APIError) -> tuple[str, str]:
    try:
        errors = exc.response.json().get("errors") or []
        first = errors[0]
        return str(first.get("error", "")), str(first.get("message", ""))
    except (AttributeError, ValueError, TypeError, IndexError, KeyError):
        return "", str(getattr(exc, "message", "") or "")


def same_recipient(channel: str, given: object, ours: str) -> bool:
    """Whether Notify's recipient is ours: addresses in any case; numbers in any of the forms
    Notify may give (+447700900123, 447700900123, 07700900123)."""
    if not isinstance(given, str):
        return False
    if channel == "email":
        return given.strip().lower() == ours.strip().lower()
    theirs = "".join(ch for ch in given if ch.isdigit())
    mine = "".join(ch for ch in ours if ch.isdigit())
    return len(theirs) >= 10 and theirs[-10:] == mine[-10:]


def _parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
