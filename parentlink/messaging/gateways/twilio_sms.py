"""SMS through Twilio's Messages API, with the real `twilio` client.

The API base URL is configurable: `api_url="http://127.0.0.1:8765"` points the unchanged
client code at a local Twilio-compatible server (tests, benchmarks, sandboxes). The client
builds every URL on https://api.twilio.com; `_RebasedHttpClient` swaps that origin for
`api_url` just before the request leaves, so paging and retries follow it too.
"""

from __future__ import annotations

import threading
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests
from twilio.base.exceptions import TwilioException, TwilioRestException, TwilioServiceException
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

from parentlink.messaging.gateways.base import (
    OneRequestEach,
    Outgoing,
    ProviderUnavailable,
    SendResult,
)

DEFAULT_API_URL = "https://api.twilio.com"
RECONCILE_SCAN = 200  # a family's number gets a handful of our messages a term
_LOOPBACK = {"127.0.0.1", "localhost", "::1"}

# Errors that are about our account or sender, not the parent's number: the message can go
# once someone fixes the configuration, so they must not mark the contact as unreachable.
_CONFIGURATION = {
    20003: "Twilio refused our credentials (error 20003): check the Twilio account SID "
    "and auth token in ParentLink's settings",
    20005: "the Twilio account is not active (error 20005)",
    21212: "the sender ('From') in ParentLink's settings is not a valid Twilio number or "
    "alphanumeric sender ID (error 21212)",
    21603: "no sender ('From' number or Messaging Service) is configured (error 21603)",
}

# Errors about this number or this message: sending it again will never work.
_PERMANENT = {
    21211: "the mobile number is not a valid phone number",
    21214: "the mobile number cannot be reached",
    21408: "our Twilio account may not send SMS to this country",
    21602: "the message has no text",
    21610: "this number has replied STOP, so Twilio will not send to it until they reply START",
    21612: "Twilio cannot deliver from our sender to this number",
    21614: "the number is not a mobile number, so it cannot receive texts",
    21617: "the message is longer than 1600 characters",
}


class _RebasedHttpClient(TwilioHttpClient):
    """The stock client with two changes: another origin, and one `requests` session per thread."""

    def __init__(self, api_url: str, timeout: float) -> None:
        self._local = threading.local()
        self._sessions: list[requests.Session] = []
        self._sessions_lock = threading.Lock()
        target = urlsplit(api_url.rstrip("/"))
        if target.scheme not in {"http", "https"} or not target.netloc:
            raise ValueError(f"api_url must be an http(s) URL, not {api_url!r}")
        self._target = None if api_url.rstrip("/") == DEFAULT_API_URL else target
        super().__init__(pool_connections=True, timeout=timeout)

    @property  # type: ignore[override]
    def session(self) -> requests.Session:
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            if self._target is not None and self._target.hostname in _LOOPBACK:
                session.trust_env = False  # never send a local server's traffic to a proxy
            self._local.session = session
            with self._sessions_lock:
                self._sessions.append(session)
        return session

    @session.setter
    def session(self, value: requests.Session | None) -> None:
        if value is not None:  # the base class makes one; we make ours per thread instead
            value.close()

    def rebase(self, url: str) -> str:
        if self._target is None:
            return url
        parts = urlsplit(url)
        path = self._target.path + parts.path
        return urlunsplit((self._target.scheme, self._target.netloc, path, parts.query, ""))

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Response:
        return super().request(method, self.rebase(url), *args, **kwargs)

    def close(self) -> None:
        with self._sessions_lock:
            sessions, self._sessions = self._sessions, []
        for session in sessions:
            session.close()
        self._local = threading.local()


class TwilioSmsGateway(OneRequestEach):
    channel = "sms"

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        from_: str,
        api_url: str = DEFAULT_API_URL,
        timeout: float = 10,
    ) -> None:
        self.from_ = from_
        self.api_url = api_url
        self.http_client = _RebasedHttpClient(api_url, timeout)
        self.client = Client(account_sid, auth_token, http_client=self.http_client)
        self._sender = _sender_options(from_)

    def send(self, outgoing: Outgoing) -> SendResult:
        sender = _sender_options(outgoing.sender) if outgoing.sender else self._sender
        options: dict[str, Any] = {"to": outgoing.to, "body": outgoing.body, **sender}
        if outgoing.status_callback:
            options["status_callback"] = outgoing.status_callback
        try:
            message = self.client.messages.create(**options)
        except TwilioRestException as exc:
            return self._failure(exc.status, exc.code, _provider_text(exc.msg))
        except TwilioServiceException as exc:
            return self._failure(exc.status, exc.code, exc.detail or exc.title)
        except requests.Timeout:
            return SendResult.retry(f"Twilio did not answer within {self.http_client.timeout}s")
        except requests.RequestException as exc:
            return SendResult.retry(f"could not reach Twilio at {self.api_url}: {exc}")
        except TwilioException as exc:
            return SendResult.retry(f"the Twilio client failed: {exc}")
        return SendResult.accepted(str(message.sid), str(message.status or "queued"))

    def find_accepted(self, outgoing: Outgoing, since: datetime) -> str | None:
        """The SID of a message to this number with the same text (which holds the personal
        link), created at or after `since`; else None. Twilio orders its list by the time
        a message was sent, and one still queued there has none, so the newest
        `RECONCILE_SCAN` messages to the number are all read rather than stopping early."""
        try:
            for message in self.client.messages.stream(
                to=outgoing.to, limit=RECONCILE_SCAN, page_size=100
            ):
                created = message.date_created
                if created is not None and created < since:
                    continue
                if message.body == outgoing.body and message.direction != "inbound":
                    return str(message.sid)
        except (TwilioException, requests.RequestException) as exc:
            raise ProviderUnavailable(f"could not list Twilio messages: {exc}") from exc
        return None

    def close(self) -> None:
        """Close the pooled HTTP connections (the gateway stays usable)."""
        self.http_client.close()

    @staticmethod
    def _failure(status: int, code: int | None, detail: str) -> SendResult:
        error_code = str(code) if code is not None else str(status)
        said = f" (Twilio said: {detail})" if detail else ""
        if status == 429:
            return SendResult.throttled(
                f"Twilio asked us to slow down (HTTP 429){said}", error_code
            )
        if status >= 500:
            return SendResult.retry(f"Twilio had a server error (HTTP {status}){said}", error_code)
        if code in _CONFIGURATION:
            return SendResult.retry(_CONFIGURATION[code] + said, error_code)
        if status in {401, 403}:
            return SendResult.retry(
                f"Twilio refused our account (HTTP {status}): check ParentLink's Twilio "
                f"settings{said}",
                error_code,
            )
        if code in _PERMANENT:
            return SendResult.permanent(f"{_PERMANENT[code]} (Twilio error {code})", error_code)
        if 400 <= status < 500:
            return SendResult.permanent(
                f"Twilio refused the message (HTTP {status}, error {error_code}){said}",
                error_code,
            )
        return SendResult.retry(f"unexpected answer from Twilio (HTTP {status}){said}", error_code)


def _sender_options(from_: str) -> dict[str, str]:
    if from_.startswith("MG") and len(from_) == 34:
        return {"messaging_service_sid": from_}
    return {"from_": from_}


def _provider_text(msg: str) -> str:
    """`TwilioRestException.msg` is "Unable to create record: <Twilio's message>"."""
    prefix, sep, rest = msg.partition(": ")
    return rest if sep and prefix.startswith("Unable to") else msg
