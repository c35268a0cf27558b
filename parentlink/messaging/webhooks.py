"""Twilio webhooks. Every request must carry a valid X-Twilio-Signature, or gets 403."""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, request
from sqlalchemy import select
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

from parentlink.campaigns.models import Invitation
from parentlink.core.clock import now
from parentlink.db import db
from parentlink.messaging.fallback import DEAD_NUMBER_REPORTS, fall_back
from parentlink.messaging.inbound import receive_sms
from parentlink.messaging.models import TWILIO_STATUS, Message, MessageStatus

blueprint = Blueprint("webhooks", __name__, url_prefix="/webhooks")


def signed_url() -> str:
    """The URL Twilio signed: our configured public address (PUBLIC_URL) with this path and
    query, never the Host header or X-Forwarded-* a request brings, so a callback signed
    for another deployment on the same Twilio account (staging, a sister school) is refused
    here. Twilio may sign with or without the port: the validator tries both."""
    base = current_app.config["PUBLIC_URL"].rstrip("/")
    query = request.query_string.decode("latin-1")
    return base + request.path + (f"?{query}" if query else "")


def require_twilio_signature() -> None:
    token = current_app.config["TWILIO_AUTH_TOKEN"]
    signature = request.headers.get("X-Twilio-Signature", "")
    if not token or not signature:
        abort(403)
    # The whole form, repeated fields included: Twilio signs every value of every field.
    if not RequestValidator(token).validate(signed_url(), request.form, signature):
        abort(403)


@blueprint.post("/twilio/inbound")
def twilio_inbound():
    """An SMS from a parent: keywords act at once, other text waits in the office inbox."""
    require_twilio_signature()
    sid = request.form.get("MessageSid") or request.form.get("SmsSid") or ""
    if not sid:
        abort(400)
    result = receive_sms(
        sid=sid[:64],
        from_number=request.form.get("From", ""),
        to_number=request.form.get("To", ""),
        body=request.form.get("Body", ""),
    )
    reply = MessagingResponse()
    if result.reply:
        reply.message(result.reply)
    return Response(str(reply), mimetype="application/xml")


@blueprint.post("/twilio/status")
def twilio_status():
    """A delivery report. Idempotent: a repeated or late report is kept but changes nothing."""
    require_twilio_signature()
    sid = request.form.get("MessageSid", "")
    message = _reported_message(sid)
    if message is None:
        return "", 204  # not ours (or purged): nothing to do, and Twilio should not retry
    at = now()
    reported = request.form.get("MessageStatus", "")
    error_code = request.form.get("ErrorCode") or None
    status = TWILIO_STATUS.get(reported)
    reason = f"Twilio reported {reported}" + (f" (error {error_code})" if error_code else "")
    applied = False
    if status is not None:
        applied = message.apply_provider_status(status, at, reason)
        if applied and status in (MessageStatus.UNDELIVERED, MessageStatus.FAILED):
            dead = error_code in DEAD_NUMBER_REPORTS
            fall_back(message, at, reason, error_code, dead=dead)  # the link is issued again
    if sid and not message.provider_id:
        message.provider_id = sid  # the report overtook the dispatcher's own record
    if status in (MessageStatus.SENT, MessageStatus.DELIVERED) and message.invitation_id:
        # However the acceptance reaches us (here, before the dispatcher recorded it or
        # after a crash lost its record), the invitation counts as sent from then.
        message.sent_at = message.sent_at or at
        db.session.get(Invitation, message.invitation_id).mark_sent(at)
    message.note(at, "twilio", reported or "unknown", error_code=error_code, applied=applied)
    return "", 204


def _reported_message(sid: str) -> Message | None:
    """Our callback URL names the message (so a report that arrives before the dispatcher
    recorded the SID still finds it); the SID must not contradict it."""
    message_id = request.args.get("m", type=int)
    if message_id is not None:
        message = db.session.get(Message, message_id, with_for_update=True)
        if message is not None and message.provider_id in (None, sid):
            return message
        return None
    if not sid:
        return None
    return db.session.scalar(select(Message).where(Message.provider_id == sid).with_for_update())
