""" "Send a test SMS / email to me": one message through the configured gateway, now.

The one exception to "the outbox is the only way out": the staff member is waiting for the
gateway's answer, so the message is sent inside the request. It is still a row in the
outbox (kind `test`, already claimed, so the dispatcher never picks it up) with its
delivery events, so it shows in the message log like any other; a later delivery report
from Twilio or GOV.UK Notify moves it on as usual. A passing fault (a 5xx, a mail server
that is down) is not retried: the message fails and the page says why, so nothing surprising
arrives an hour later.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from flask import current_app

from parentlink.core.audit import record
from parentlink.core.clock import now
from parentlink.db import db
from parentlink.directory.models import Channel
from parentlink.messaging.dispatcher import outgoing_for
from parentlink.messaging.gateways import gateway_for
from parentlink.messaging.gateways.base import Outcome
from parentlink.messaging.models import MessageKind
from parentlink.messaging.outbox import enqueue, render


@dataclass(frozen=True)
class GatewayAnswer:
    channel: Channel
    to: str
    gateway: str  # "twilio", "notify", "smtp" or "sandbox"
    accepted: bool
    provider_id: str | None = None
    provider_status: str | None = None
    reason: str | None = None
    error_code: str | None = None
    description: str | None = None  # the provider's answer in words (GOV.UK Notify's)


def send_test_message(school, staff, channel: Channel) -> GatewayAnswer:
    """Send a test to the staff member's own mobile or email and return the gateway's answer.
    Raises ValueError when they have no mobile / email on their account."""
    from parentlink.office.staff_admin import user_view
    from parentlink.schools.sending import sms_sender

    to = staff.mobile if channel is Channel.SMS else staff.email
    if not to:
        raise ValueError("add your mobile number on your account page first")
    rendered = render(MessageKind.TEST, channel, school=school, staff=user_view(staff))
    message = enqueue(
        school_id=school.id, kind=MessageKind.TEST, channel=channel, rendered=rendered, to=to
    )
    db.session.flush()
    at = now()
    message.claim(at, at + timedelta(seconds=current_app.config["DISPATCH_LEASE_SECONDS"]))
    outgoing = outgoing_for(message, sms_sender(school) if school.sms_sender else None)
    config = current_app.config
    gateway = config["SMS_GATEWAY"] if channel is Channel.SMS else config["EMAIL_GATEWAY"]
    result = gateway_for(channel).send(outgoing)
    at = now()
    accepted = result.outcome is Outcome.ACCEPTED
    if accepted:
        message.accepted(at, result.provider_id or "")
        message.note(at, "dispatcher", result.provider_status or "accepted")
    else:
        message.fail(at, result.reason or "refused")
        message.note(
            at, "dispatcher", result.outcome.value, error_code=result.error_code,
            detail=result.reason,
        )  # fmt: skip
    answer = GatewayAnswer(
        channel=channel,
        to=to,
        gateway=gateway,
        accepted=accepted,
        provider_id=result.provider_id,
        provider_status=result.provider_status,
        reason=result.reason,
        error_code=result.error_code,
        description=result.extra.get("description"),
    )
    record(
        "settings.test_message",
        actor=f"staff:{staff.id}",
        school_id=school.id,
        subject=f"message:{message.id}",
        channel=channel.value,
        gateway=gateway,
        accepted=accepted,
        provider_id=result.provider_id,
        error_code=result.error_code,
    )
    return answer
