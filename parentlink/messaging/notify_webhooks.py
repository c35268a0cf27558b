"""GOV.UK Notify's callbacks: delivery receipts and received text messages.

Notify sends JSON with `Authorization: Bearer <token>`, the token the school entered for
the callbacks in Notify's "API integration" page (PARENTLINK_NOTIFY_CALLBACK_TOKEN here).
It is compared in constant time; a missing or wrong one gets 401 and changes nothing.
"""

from __future__ import annotations

import hmac

from flask import Blueprint, abort, current_app, request

from parentlink.messaging.notify_receipts import ReportTooEarly, apply_receipt, receive_reply

blueprint = Blueprint("notify_webhooks", __name__, url_prefix="/webhooks/notify")


def require_notify_token() -> None:
    expected = (current_app.config.get("NOTIFY_CALLBACK_TOKEN") or "").encode()
    header = request.headers.get("Authorization", "")
    scheme, _, given = header.partition(" ")
    # Evaluated in full whatever the scheme, so the time taken says nothing about the token.
    matches = hmac.compare_digest(given.strip().encode(), expected)
    if not expected or scheme.lower() != "bearer" or not matches:
        abort(401)


def _payload() -> dict:
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):
        abort(400, "a JSON object was expected")
    return payload


@blueprint.post("/status")
def notify_status():
    """A delivery receipt. Idempotent: a repeated or late one is kept but changes nothing."""
    require_notify_token()
    try:
        apply_receipt(_payload())
    except ReportTooEarly:
        # Rolled back (5xx); Notify retries a failed callback every 5 minutes, 5 times.
        return "", 503, {"Retry-After": "300"}
    return "", 204  # ours or not: Notify should not retry


@blueprint.post("/inbound")
def notify_inbound():
    """A text a parent sent: keywords act at once, other text waits in the office inbox."""
    require_notify_token()
    payload = _payload()
    if not str(payload.get("id") or "") or not str(payload.get("source_number") or ""):
        abort(400, "id and source_number are required")
    receive_reply(payload)
    return "", 204
