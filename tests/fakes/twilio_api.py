"""A local HTTP server that speaks Twilio's Programmable Messaging API (2010-04-01).

It answers the real `twilio` client the way api.twilio.com does — Basic auth, form posts,
Twilio's JSON error bodies and codes, paged lists — so tests, benchmarks and sandboxes
exercise our real gateway code without a network. Only the standard library, werkzeug and
twilio (for `X-Twilio-Signature`) are used.

Simplification: the fake never moves a message on by itself; `post_status()` does.
The `DateSent` list filters compare against the time the message was created.
"""

from __future__ import annotations

import json
import re
import secrets
import threading
import time
import urllib.error
import urllib.request
from datetime import UTC, date, datetime
from email.utils import format_datetime
from typing import Any
from urllib.parse import urlencode

from twilio.request_validator import RequestValidator
from werkzeug.exceptions import HTTPException, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from tests.fakes.local_server import LocalServer

API_VERSION = "2010-04-01"
E164 = re.compile(r"^\+[1-9]\d{6,14}$")
ALPHANUMERIC_SENDER = re.compile(r"^(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11}$")
GSM7 = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENDED = set("^{}\\[~]|€\f")


def num_segments(body: str) -> int:
    """How many SMS segments Twilio bills for `body` (GSM-7 where possible, else UCS-2)."""
    if all(ch in GSM7 or ch in GSM7_EXTENDED for ch in body):
        units, single, multi = sum(2 if ch in GSM7_EXTENDED else 1 for ch in body), 160, 153
    else:
        units, single, multi = len(body.encode("utf-16-le")) // 2, 70, 67
    return 1 if units <= single else -(-units // multi)


def _error(status: int, code: int, message: str) -> Response:
    body = {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }
    return Response(json.dumps(body), status=status, mimetype="application/json")


def _json(payload: dict[str, Any], status: int = 200) -> Response:
    return Response(json.dumps(payload), status=status, mimetype="application/json")


def _problem(to: str, sender: str, service: str, body: str, media: bool) -> tuple[int, str] | None:
    """The first thing Twilio would refuse about this message, as (code, message)."""
    checks = [
        (not to, 21604, "A 'To' phone number is required."),
        (not E164.match(to), 21211, f"The 'To' number {to} is not a valid phone number."),
        (not (sender or service), 21603, "A 'From' or 'MessagingServiceSid' is required."),
        (
            sender and not (E164.match(sender) or ALPHANUMERIC_SENDER.match(sender)),
            21212,
            f"The 'From' number {sender} is not a valid phone number or sender ID.",
        ),
        (not (body or media), 21602, "Message body is required."),
        (
            len(body) > 1600,
            21617,
            "The concatenated message body exceeds the 1600 character limit.",
        ),
    ]
    return next(((code, message) for bad, code, message in checks if bad), None)


def _parse_date_filter(value: str) -> datetime | date:
    if "T" in value:
        return datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    return date.fromisoformat(value)


def _matches(created: datetime, op: str, bound: datetime | date) -> bool:
    left: datetime | date = created if isinstance(bound, datetime) else created.date()
    if op == "<":  # Twilio's `DateSent<=` on the wire: on or before
        return left <= bound  # type: ignore[operator]
    if op == ">":
        return left >= bound  # type: ignore[operator]
    return left == bound


class TwilioCompatibleServer(LocalServer):
    """`with TwilioCompatibleServer() as twilio: Client(..., http_client=...) → twilio.base_url`."""

    name = "fake-twilio"

    def __init__(self, account_sid: str | None = None, auth_token: str | None = None) -> None:
        self.account_sid = account_sid or "AC" + secrets.token_hex(16)
        self.auth_token = auth_token or secrets.token_hex(16)
        self.messages: list[dict[str, Any]] = []
        self.requests = 0
        self.accept_delay = 0.0
        self.refused = 0  # requests refused with 429 by the rate limit
        self.refused_at: list[float] = []  # when (time.time()), for the benchmarks
        self._limit: float | None = None  # messages per second, as an account's queue allows
        self._allowance = 0.0
        self._allowance_at = 0.0
        self._resources: dict[str, dict[str, Any]] = {}
        self._failures: list[tuple[int, int, str]] = []
        self._lock = threading.RLock()
        super().__init__()
        prefix = f"/{API_VERSION}/Accounts/<account>"
        self._urls = Map(
            [
                Rule(f"{prefix}/Messages.json", endpoint="messages", methods=["GET", "POST"]),
                Rule(f"{prefix}/Messages/<sid>.json", endpoint="message", methods=["GET"]),
            ]
        )

    def app_config(self, sender: str = "CoatesLane") -> dict:
        """The app settings that send SMS through this server."""
        return {
            "SMS_GATEWAY": "twilio",
            "TWILIO_API_URL": self.base_url,
            "TWILIO_ACCOUNT_SID": self.account_sid,
            "TWILIO_FROM": sender,
        }

    # -- test hooks --------------------------------------------------------------------

    def fail_next(self, http_status: int, code: int, message: str) -> None:
        """The next POST (after authentication) fails with this Twilio error."""
        with self._lock:
            self._failures.append((http_status, code, message))

    def limit(self, per_second: float | None) -> None:
        """Accept at most `per_second` messages a second (bursts of a quarter second's worth);
        refuse the rest with 429 / error 20429, as Twilio does past an account's limit."""
        with self._lock:
            self._limit = per_second
            self._allowance = max(1.0, (per_second or 0) / 4)
            self._allowance_at = time.monotonic()
            self.refused = 0
            self.refused_at.clear()

    def _over_limit(self) -> bool:
        with self._lock:
            if not self._limit:
                return False
            now = time.monotonic()
            burst = max(1.0, self._limit / 4)
            elapsed = now - self._allowance_at
            self._allowance = min(burst, self._allowance + elapsed * self._limit)
            self._allowance_at = now
            if self._allowance < 1:
                self.refused += 1
                self.refused_at.append(time.time())
                return True
            self._allowance -= 1
            return False

    def clear(self) -> None:
        with self._lock:
            self.messages.clear()
            self._resources.clear()
            self._failures.clear()
            self.requests = 0

    def resource(self, sid: str) -> dict[str, Any]:
        with self._lock:
            return dict(self._resources[sid])

    def post_status(self, sid: str, status: str, error_code: int | str | None = None) -> int:
        """Send a signed delivery report for `sid`, as Twilio does; the app's HTTP status."""
        with self._lock:
            resource = self._resources[sid]
            url = resource["_status_callback"]
            if not url:
                raise ValueError(f"message {sid} has no StatusCallback")
            now = datetime.now(UTC)
            resource.update(status=status, date_updated=format_datetime(now))
            if status in {"sent", "delivered", "undelivered", "failed"}:
                resource["date_sent"] = resource["date_sent"] or format_datetime(now)
            if error_code is not None:
                resource["error_code"] = int(error_code)
            params = {
                "MessageSid": sid,
                "SmsSid": sid,
                "MessageStatus": status,
                "SmsStatus": status,
                "AccountSid": self.account_sid,
                "To": resource["to"],
                "From": resource["from"] or "",
                "ApiVersion": API_VERSION,
            }
            if resource["messaging_service_sid"]:
                params["MessagingServiceSid"] = resource["messaging_service_sid"]
        if error_code is not None:
            params["ErrorCode"] = str(error_code)
        signature = RequestValidator(self.auth_token).compute_signature(url, params)
        request = urllib.request.Request(  # noqa: S310 - the app's own callback URL
            url,
            data=urlencode(params).encode(),
            headers={
                "X-Twilio-Signature": signature,
                "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
                "User-Agent": "TwilioProxy/1.1",
            },
            method="POST",
        )
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        try:
            with opener.open(request, timeout=10) as response:
                return int(response.status)
        except urllib.error.HTTPError as exc:
            with exc:
                return int(exc.code)

    # -- the API -----------------------------------------------------------------------

    def _wsgi(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        with self._lock:
            self.requests += 1
        try:
            endpoint, args = self._urls.bind_to_environ(environ).match()
        except NotFound:
            response = _error(404, 20404, f"The requested resource {request.path} was not found")
        except HTTPException as exc:
            response = _error(exc.code or 400, 20001, exc.description or "Bad request")
        else:
            response = self._dispatch(request, endpoint, args)
        return response(environ, start_response)

    def _dispatch(self, request: Request, endpoint: str, args: dict[str, str]) -> Response:
        auth = request.authorization
        if (
            auth is None
            or auth.type != "basic"
            or auth.username != self.account_sid
            or auth.password != self.auth_token
            or args["account"] != self.account_sid
        ):
            response = _error(401, 20003, "Authenticate")
            response.headers["WWW-Authenticate"] = 'Basic realm="Twilio API"'
            return response
        if endpoint == "message":
            with self._lock:
                found = self._resources.get(args["sid"])
            if found is None:
                return _error(404, 20404, f"The requested resource {request.path} was not found")
            return _json(self._public(found))
        if request.method == "GET":
            return self._list(request)
        return self._create(request)

    def _create(self, request: Request) -> Response:
        if self.accept_delay:
            time.sleep(self.accept_delay)
        with self._lock:
            failure = self._failures.pop(0) if self._failures else None
        if failure:
            return _error(*failure)
        if self._over_limit():
            return _error(429, 20429, "Too Many Requests")
        form = request.form
        to, sender = form.get("To", ""), form.get("From", "")
        service, body = form.get("MessagingServiceSid", ""), form.get("Body", "")
        problem = _problem(to, sender, service, body, bool(form.get("MediaUrl")))
        if problem:
            return _error(400, *problem)
        sid = "SM" + secrets.token_hex(16)
        now = datetime.now(UTC)
        created = format_datetime(now)
        base = f"/{API_VERSION}/Accounts/{self.account_sid}/Messages/{sid}"
        resource = {
            "account_sid": self.account_sid,
            "api_version": API_VERSION,
            "body": body,
            "date_created": created,
            "date_sent": None,
            "date_updated": created,
            "direction": "outbound-api",
            "error_code": None,
            "error_message": None,
            "from": sender or None,
            "messaging_service_sid": service or None,
            "num_media": "0",
            "num_segments": str(num_segments(body)),
            "price": None,
            "price_unit": "USD",
            "sid": sid,
            "status": "queued" if sender else "accepted",
            "subresource_uris": {
                "media": f"{base}/Media.json",
                "feedback": f"{base}/Feedback.json",
            },
            "to": to,
            "uri": f"{base}.json",
            "_created_at": now,
            "_status_callback": form.get("StatusCallback") or None,
        }
        with self._lock:
            self._resources[sid] = resource
            entry = {"sid": sid, "to": to, "from": sender or service, "body": body}
            entry.update(status_callback=resource["_status_callback"], created_at=now)
            self.messages.append(entry)
        return _json(self._public(resource), status=201)

    def _list(self, request: Request) -> Response:
        query = request.args
        try:
            page_size = min(max(int(query.get("PageSize", 50)), 1), 1000)
            page = max(int(query.get("Page", 0)), 0)
            bounds = [
                (op, _parse_date_filter(query[f"DateSent{op}"]))
                for op in ("", "<", ">")
                if query.get(f"DateSent{op}")
            ]
        except ValueError as exc:
            return _error(400, 20001, f"Invalid parameter: {exc}")
        with self._lock:
            rows = [
                r
                for r in reversed(self._resources.values())  # newest first, like Twilio
                if query.get("To", r["to"]) == r["to"]
                and query.get("From", r["from"]) == r["from"]
                and all(_matches(r["_created_at"], op, bound) for op, bound in bounds)
            ]
        token = query.get("PageToken", "")
        sids = [r["sid"] for r in rows]
        start = sids.index(token[2:]) + 1 if token[2:] in sids else page * page_size
        chunk = rows[start : start + page_size]
        filters = [(k, v) for k, v in query.items() if k not in {"Page", "PageSize", "PageToken"}]
        path = f"/{API_VERSION}/Accounts/{self.account_sid}/Messages.json"

        def uri(number: int, page_token: str | None = None) -> str:
            extra = [("PageSize", page_size), ("Page", number)]
            if page_token:
                extra.append(("PageToken", page_token))
            return f"{path}?{urlencode(filters + extra)}"

        more = start + page_size < len(rows)
        payload = {
            "end": start + max(len(chunk) - 1, 0),
            "first_page_uri": uri(0),
            "messages": [self._public(r) for r in chunk],
            "next_page_uri": uri(page + 1, "PA" + chunk[-1]["sid"]) if more else None,
            "page": page,
            "page_size": page_size,
            "previous_page_uri": uri(page - 1) if page > 0 else None,
            "start": start,
            "uri": uri(page, token or None),
        }
        return _json(payload)

    def _public(self, resource: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            return {k: v for k, v in resource.items() if not k.startswith("_")}
