"""A local HTTP server that speaks GOV.UK Notify's v2 API, for tests, benchmarks and sandboxes.

It answers the official `notifications-python-client` unchanged, the way
api.notifications.service.gov.uk does:

- API keys are `<key name>-<service id>-<secret>` (two UUIDs at the end); every request
  carries `Authorization: Bearer <JWT>`, HS256, `iss` the service id, `iat` within 30
  seconds of our clock, signed with the key's secret (checked with PyJWT). Failures answer
  401/403 with Notify's AuthError messages.
- POST /v2/notifications/sms and /email, GET /v2/notifications/<id>, GET /v2/notifications
  (filters `reference`, `template_type`, `status`, `older_than`; newest first; 250 a page).
- Errors in Notify's shape: `{"status_code": N, "errors": [{"error": ..., "message": ...}]}`.
- A team-only key may send only to the team's own numbers and addresses.
- Faults on demand (`fail_next`, `limit`, `daily_limit`, `accept_delay`), and callbacks
  to the app with the service's bearer token (`post_status`, `post_inbound`); to an
  https:// callback URL the certificate is verified as Notify does (`callback_ca` names the
  tests' own authority, `resolve` maps the public host name to 127.0.0.1).

Sources checked (facts, not code): the client's authentication.py and base.py (key
format, JWT claims, 30-second bound), its DOCUMENTATION.md (error tables, statuses),
notifications-api's auth module (the order of checks and their messages) and its v2
schema tests (phone number messages, callback bodies).
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from tests.fakes.local_server import LocalServer, post_callback
from tests.fakes.notify_rules import PLACEHOLDER, authenticate, error, is_uuid, problem

PAGE = 250
FAILURES = ("permanent-failure", "temporary-failure", "technical-failure")
ALL_STATUSES = (
    *("cancelled", "created", "sending", "sent", "delivered", "pending", "failed"),
    *("technical-failure", "temporary-failure", "permanent-failure", "pending-virus-check"),
    *("validation-failed", "virus-scan-failed", "returned-letter", "accepted", "received"),
)


def _stamp(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class NotifyCompatibleServer(LocalServer):
    """`with NotifyCompatibleServer() as notify: NotificationsAPIClient(notify.live_key,
    base_url=notify.base_url)`."""

    name = "fake-notify"

    def __init__(self, callback_token: str = "notify-callback-token-0123456789") -> None:
        self.service_id = str(uuid.uuid4())
        self.callback_token = callback_token
        self.callback_url: str | None = None  # delivery receipts (set in Notify's admin)
        self.inbound_url: str | None = None  # received text messages
        self.callback_ca: str | None = None  # a CA file trusted for https callbacks (tests')
        self.resolve: dict[str, str] = {}  # host name -> address for callbacks (no DNS here)
        self.sms_template_id = str(uuid.uuid4())
        self.email_template_id = str(uuid.uuid4())
        self.sms_sender_id = str(uuid.uuid4())
        self.email_reply_to_id = str(uuid.uuid4())
        self.inbound_number = "07700900999"
        self._keys: dict[str, tuple[str, str]] = {}  # secret -> (name, key type)
        self.live_key = self.new_key("parentlink_live", "normal")
        self.team_key = self.new_key("parentlink_team", "team")
        self.team_members: set[str] = set()  # numbers (+44…) and addresses a team key reaches
        self.templates: dict[str, dict[str, Any]] = {
            self.sms_template_id: {"type": "sms", "content": "((body))", "subject": None},
            self.email_template_id: {
                "type": "email",
                "content": "((body))",
                "subject": "((subject))",
            },
        }
        self.international = False  # the service's "send to international numbers" setting
        self.notifications: list[dict[str, Any]] = []  # oldest first
        self._by_id: dict[str, dict[str, Any]] = {}
        self.requests = 0
        self.accept_delay = 0.0
        self.refused = 0
        self._failures: list[tuple[int, str, str]] = []
        self._per_minute: float | None = None
        self._allowance = 0.0
        self._allowance_at = 0.0
        self._daily: int | None = None
        self._lock = threading.RLock()
        super().__init__()
        self._urls = Map(
            [
                Rule("/v2/notifications/sms", endpoint="sms", methods=["POST"]),
                Rule("/v2/notifications/email", endpoint="email", methods=["POST"]),
                Rule("/v2/notifications/<nid>", endpoint="one", methods=["GET"]),
                Rule("/v2/notifications", endpoint="list", methods=["GET"]),
            ]
        )

    def new_key(self, name: str, key_type: str = "normal") -> str:
        secret = str(uuid.uuid4())
        self._keys[secret] = (name, key_type)
        return f"{name}-{self.service_id}-{secret}"

    def app_config(self, sms: bool = True, email: bool = True, key: str | None = None) -> dict:
        """The app settings that send through this server."""
        config = {
            "NOTIFY_API_URL": self.base_url,
            "NOTIFY_API_KEY": key or self.live_key,
            "NOTIFY_SMS_TEMPLATE_ID": self.sms_template_id,
            "NOTIFY_EMAIL_TEMPLATE_ID": self.email_template_id,
            "NOTIFY_CALLBACK_TOKEN": self.callback_token,
        }
        if sms:
            config["SMS_GATEWAY"] = "notify"
        if email:
            config["EMAIL_GATEWAY"] = "notify"
        return config

    # -- test hooks --------------------------------------------------------------------

    def fail_next(self, http_status: int, error: str, message: str) -> None:
        """The next POST (after authentication) fails with this Notify error."""
        with self._lock:
            self._failures.append((http_status, error, message))

    def limit(self, per_minute: float | None) -> None:
        """Refuse requests past `per_minute` with 429 RateLimitError (a token bucket with a
        burst of a third of a minute's worth, as Notify's)."""
        with self._lock:
            self._per_minute = per_minute
            self._allowance = max(1.0, (per_minute or 0) / 3)
            self._allowance_at = time.monotonic()
            self.refused = 0

    def daily_limit(self, n: int | None) -> None:
        """Refuse sends past `n` today with 429 TooManyRequestsError."""
        with self._lock:
            self._daily = n

    def clear(self) -> None:
        with self._lock:
            self.notifications.clear()
            self._by_id.clear()
            self._failures.clear()
            self.requests = 0

    def set_status(self, nid: str, status: str) -> None:
        with self._lock:
            found = self._by_id[nid]
            found["status"] = status
            if status in ("sent", "delivered", *FAILURES):
                found["completed_at"] = _stamp(datetime.now(UTC))

    def post_status(self, nid: str, status: str, token: str | None = None) -> int:
        """Move notification `nid` to `status` and send its delivery receipt, as Notify
        does, to `callback_url`; the app's HTTP status."""
        self.set_status(nid, status)
        with self._lock:
            n = self._by_id[nid]
            body = {
                "id": n["id"],
                "reference": n["reference"],
                "to": n["_to_given"],
                "status": status,
                "created_at": n["created_at"],
                "completed_at": n["completed_at"],
                "sent_at": n["sent_at"],
                "notification_type": n["type"],
                "template_id": n["template"]["id"],
                "template_version": n["template"]["version"],
            }
        return self._callback(self.callback_url, body, token)

    def post_inbound(self, source_number: str, message: str, token: str | None = None) -> int:
        """A text a parent sent to the service's inbound number, as Notify forwards it."""
        body = {
            "id": str(uuid.uuid4()),
            "source_number": source_number,
            "destination_number": self.inbound_number,
            "message": message,
            "date_received": _stamp(datetime.now(UTC)),
        }
        return self._callback(self.inbound_url, body, token)

    def _callback(self, url: str | None, body: dict, token: str | None) -> int:
        if not url:
            raise ValueError("no callback URL is set (callback_url / inbound_url)")
        bearer = token if token is not None else self.callback_token
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {bearer}"}
        data = json.dumps(body).encode()
        return post_callback(url, data, headers, ca=self.callback_ca, resolve=self.resolve)

    # -- the API -----------------------------------------------------------------------

    def _wsgi(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        with self._lock:
            self.requests += 1
        adapter = self._urls.bind_to_environ(environ)
        try:
            endpoint, args = adapter.match()
        except Exception:  # noqa: BLE001 - any routing miss is Notify's 404
            response = error(404, "ResourceNotFound", "The requested URL was not found")
        else:
            response = authenticate(request, self.service_id, self._keys) or self._dispatch(
                request, endpoint, args
            )
        return response(environ, start_response)

    def _dispatch(self, request: Request, endpoint: str, args: dict[str, str]) -> Response:
        if endpoint == "one":
            if not is_uuid(args["nid"]):
                return error(400, "ValidationError", "notification_id is not a valid UUID")
            with self._lock:
                found = self._by_id.get(args["nid"])
            if found is None:
                return error(404, "NoResultFound", "No result found")
            return self._json(self._public(found))
        if endpoint == "list":
            return self._list(request)
        return self._create(request, endpoint)

    def _create(self, request: Request, kind: str) -> Response:
        if self.accept_delay:
            time.sleep(self.accept_delay)
        with self._lock:
            failure = self._failures.pop(0) if self._failures else None
        if failure:
            return error(*failure)
        if self._over_limit():
            key_type = {"normal": "LIVE"}.get(request.environ["notify.key_type"], "TEAM")
            return error(
                429,
                "RateLimitError",
                f"Exceeded rate limit for key type {key_type} of "
                f"{int(self._per_minute or 0)} requests per 60 seconds",
            )
        try:
            data = json.loads(request.get_data(as_text=True) or "null")
        except ValueError:
            return error(400, "BadRequestError", "Invalid JSON supplied in POST data")
        if not isinstance(data, dict):
            return error(400, "ValidationError", "POST data is not a JSON object")
        refusal = problem(self, data, kind, request.environ["notify.key_type"])
        if refusal:
            return error(400, *refusal)
        with self._lock:
            if self._daily is not None and len(self.notifications) >= self._daily:
                return error(
                    429, "TooManyRequestsError", f"Exceeded send limits ({self._daily}) for today"
                )
        return self._accept(data, kind)

    def _accept(self, data: dict, kind: str) -> Response:
        template = self.templates[data["template_id"]]
        values = data.get("personalisation") or {}

        def fill(text: str) -> str:
            return PLACEHOLDER.sub(lambda m: str(values.get(m.group(1), "")), text)

        nid = str(uuid.uuid4())
        now = datetime.now(UTC)
        body = fill(template["content"])
        subject = fill(template["subject"]) if template["subject"] else None
        base = self.base_url
        template_ref = {
            "id": data["template_id"],
            "version": 1,
            "uri": f"{base}/v2/template/{data['template_id']}",
        }
        notification = {
            "id": nid,
            "reference": data.get("reference"),
            "email_address": data["email_address"] if kind == "email" else None,
            "phone_number": data["phone_number"] if kind == "sms" else None,
            **{f"line_{i}": None for i in range(1, 7)},
            "postcode": None,
            "postage": None,
            "type": kind,
            "status": "created",
            "template": template_ref,
            "body": body,
            "subject": subject,
            "created_at": _stamp(now),
            "created_by_name": None,
            "sent_at": None,
            "completed_at": None,
            "_to": data["_to"],
            "_to_given": data["phone_number"] if kind == "sms" else data["email_address"],
            "_created": now,
        }
        with self._lock:
            self.notifications.append(notification)
            self._by_id[nid] = notification
        content: dict[str, Any] = {"body": body}
        if kind == "sms":
            content["from_number"] = "CoatesLane"
        else:
            content.update(subject=subject, from_email="coates.lane@notifications.example.com")
        answer = {
            "id": nid,
            "reference": data.get("reference"),
            "content": content,
            "uri": f"{base}/v2/notifications/{nid}",
            "template": template_ref,
        }
        if kind == "email":
            answer["scheduled_for"] = None
        return self._json(answer, status=201)

    def _list(self, request: Request) -> Response:
        query = request.args
        status = query.get("status")
        if status and status not in ALL_STATUSES:
            return error(
                400,
                "ValidationError",
                f"status {status} is not one of [{', '.join(ALL_STATUSES)}]",
            )
        kind = query.get("template_type")
        if kind and kind not in ("sms", "email", "letter"):
            return error(400, "ValidationError", f"{kind} is not one of [sms, email, letter]")
        older_than = query.get("older_than")
        with self._lock:
            rows = list(reversed(self.notifications))  # newest first
            if older_than:
                ids = [n["id"] for n in rows]
                rows = rows[ids.index(older_than) + 1 :] if older_than in ids else []
            rows = [
                n
                for n in rows
                if query.get("reference", n["reference"]) == n["reference"]
                and (not kind or n["type"] == kind)
                and (
                    not status
                    or n["status"] == status
                    or (status == "failed" and n["status"] in FAILURES)
                )
            ][:PAGE]
            page = [self._public(n) for n in rows]
        filters = "&".join(f"{k}={v}" for k, v in query.items() if k != "older_than")
        links = {"current": f"{self.base_url}/v2/notifications?{filters}"}
        if page:
            older = page[-1]["id"]
            links["next"] = f"{self.base_url}/v2/notifications?{filters}&older_than={older}"
        return self._json({"notifications": page, "links": links})

    def _over_limit(self) -> bool:
        with self._lock:
            if not self._per_minute:
                return False
            now = time.monotonic()
            rate = self._per_minute / 60
            burst = max(1.0, self._per_minute / 3)
            self._allowance = min(burst, self._allowance + (now - self._allowance_at) * rate)
            self._allowance_at = now
            if self._allowance < 1:
                self.refused += 1
                return True
            self._allowance -= 1
            return False

    @staticmethod
    def _json(payload: dict, status: int = 200) -> Response:
        return Response(json.dumps(payload), status=status, mimetype="application/json")

    def _public(self, notification: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            return {k: v for k, v in notification.items() if not k.startswith("_")}
