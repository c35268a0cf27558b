"""Which gateway sends each channel, chosen by configuration; one instance per app."""

from __future__ import annotations

from flask import current_app

from parentlink.directory.models import Channel
from parentlink.messaging.gateways.base import Gateway


def gateway_for(channel: Channel) -> Gateway:
    cache = current_app.extensions.setdefault("parentlink.gateways", {})
    if channel not in cache:
        cache[channel] = _build(channel)
    return cache[channel]


def _build(channel: Channel) -> Gateway:
    config = current_app.config
    kind = config["SMS_GATEWAY"] if channel is Channel.SMS else config["EMAIL_GATEWAY"]
    if kind == "sandbox":
        from parentlink.messaging.gateways.sandbox import SandboxGateway

        return SandboxGateway(channel.value, config["SANDBOX_OUTBOX_PATH"])
    if channel is Channel.SMS and kind == "twilio":
        from parentlink.messaging.gateways.twilio_sms import TwilioSmsGateway

        return TwilioSmsGateway(
            account_sid=config["TWILIO_ACCOUNT_SID"],
            auth_token=config["TWILIO_AUTH_TOKEN"],
            from_=config["TWILIO_FROM"],
            api_url=config["TWILIO_API_URL"],
        )
    if kind == "notify":
        from parentlink.messaging.gateways.notify import NotifyGateway

        sms = channel is Channel.SMS
        return NotifyGateway(
            channel.value,
            api_key=config["NOTIFY_API_KEY"],
            template_id=config["NOTIFY_SMS_TEMPLATE_ID" if sms else "NOTIFY_EMAIL_TEMPLATE_ID"],
            base_url=config["NOTIFY_API_URL"],
            sms_sender_id=config["NOTIFY_SMS_SENDER_ID"] if sms else None,
            email_reply_to_id=None if sms else config["NOTIFY_EMAIL_REPLY_TO_ID"],
        )
    if channel is Channel.EMAIL and kind == "smtp":
        from parentlink.extensions import mail
        from parentlink.messaging.gateways.smtp_email import SmtpEmailGateway

        return SmtpEmailGateway(mail)
    raise ValueError(
        f"unknown {channel.value} gateway {kind!r} (use sandbox, notify, twilio or smtp)"
    )
