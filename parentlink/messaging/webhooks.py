"""Twilio webhooks. Every request must carry a valid X-Twilio-Signature, or gets 403."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, request
from sqlalchemy import select
from twilio.request_validator import RequestValidator

from parentlink.core.clock import now
from parentlink.db import db
from parentlink.messaging.models import TWILIO_STATUS, DeliveryEvent, Message

blueprint = Blueprint("webhooks", __name__, url_prefix="/webhooks")


def _public_url() -> str:
    """The URL Twilio signed: our public address, which a proxy may hide from request.url."""
    base = current_app.config["PUBLIC_URL"]
    query = request.query_string.decode("latin-1")
    return base + request.path + (f"?{query}" if query else "")


def _require_twilio_signature() -> None:
    token = current_app.config["TWILIO_AUTH_TOKEN"]
    signature = request.headers.get("X-Twilio-Signature", "")
    if not token or not signature:
        abort(403)
    params = request.form.to_dict(flat=True)
    if not RequestValidator(token).validate(_public_url(), params, signature):
        abort(403)


@blueprint.post("/twilio/status")
def twilio_status():
    _require_twilio_signature()
    sid = request.form.get("MessageSid", "")
    reported = request.form.get("MessageStatus", "")
    message = db.session.scalar(select(Message).where(Message.provider_id == sid)) if sid else None
    if message is None:
        return "", 204  # not ours (or purged): nothing to do, and Twilio should not retry
    status = TWILIO_STATUS.get(reported)
    applied = bool(status) and message.apply_provider_status(status, now())
    db.session.add(
        DeliveryEvent(
            message_id=message.id,
            at=now(),
            source="twilio",
            status=reported[:32] or "unknown",
            error_code=request.form.get("ErrorCode") or None,
            applied=applied,
        )
    )
    return "", 204
