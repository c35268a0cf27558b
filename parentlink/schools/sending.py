"""What a school sends with: its SMS sender, the price of a segment, whether mobiles
abroad are accepted. Each is the school's own setting (the office settings page) or, when
the school has none, the deployment's (PARENTLINK_TWILIO_FROM, ..._SMS_PRICE_PER_SEGMENT,
..._ALLOW_INTERNATIONAL_MOBILES).

When GOV.UK Notify sends the texts (PARENTLINK_SMS_GATEWAY=notify), the price is Notify's
per fragment beyond the service's free yearly allowance; both are the school's settings,
defaulting to Notify's published figures for state-funded schools."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from flask import current_app

_ALPHANUMERIC = re.compile(r"^(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11}$")
_E164 = re.compile(r"^\+[1-9]\d{6,14}$")
_SERVICE = re.compile(r"^MG[0-9a-f]{32}$")
MAX_PRICE_PENCE = Decimal("100")
# notifications.service.gov.uk/pricing/text-messages, "Last updated 1 April 2026": a service
# of a state-funded school gets 5,000 free text messages a year (renewed on 1 April), then
# each text message (fragment) costs 2.4 pence plus VAT.
NOTIFY_FREE_ALLOWANCE = 5000
NOTIFY_PRICE_PENCE = Decimal("2.4")
MAX_ALLOWANCE = 1_000_000


class SendingSettingError(ValueError):
    pass


def sms_sender(school) -> str:
    """The sender ID or number SMS go from ("" when none is configured anywhere)."""
    own = getattr(school, "sms_sender", None)
    return own or current_app.config.get("TWILIO_FROM", "")


def sender_takes_replies(sender: str) -> bool:
    """An alphanumeric sender ID cannot receive replies; a number (or service) can."""
    return sender.startswith("+") or sender.startswith("MG")


def sms_through_notify() -> bool:
    """Whether GOV.UK Notify sends the texts: then its counting rule, maximum length, free
    allowance and price apply (messaging/sms_rules.py, messaging/allowance.py)."""
    return current_app.config.get("SMS_GATEWAY") == "notify"


def notify_free_allowance(school) -> int:
    own = getattr(school, "notify_free_allowance", None)
    return NOTIFY_FREE_ALLOWANCE if own is None else own


def notify_price_pence(school) -> Decimal:
    own = getattr(school, "notify_price_pence", None)
    return NOTIFY_PRICE_PENCE if own is None else Decimal(own)


def price_per_segment(school) -> Decimal:
    """In pounds, e.g. Decimal("0.04"): Notify's price per fragment when Notify sends the
    texts, else the price per segment (the school's, else the deployment's)."""
    if sms_through_notify():
        return notify_price_pence(school) / 100
    pence = getattr(school, "sms_price_pence", None)
    if pence is not None:
        return Decimal(pence) / 100
    return Decimal(str(current_app.config["SMS_PRICE_PER_SEGMENT"]))


def international_mobiles_allowed(school) -> bool:
    return bool(getattr(school, "allow_international_mobiles", False)) or bool(
        current_app.config.get("ALLOW_INTERNATIONAL_MOBILES")
    )


def clean_sender(raw: str) -> str | None:
    """An alphanumeric sender ID (1-11 letters, digits or spaces, at least one letter), a
    number in international form (+447700900123), or a Twilio Messaging Service SID."""
    text = (raw or "").strip()
    if not text:
        return None
    if _E164.match(text) or _SERVICE.match(text) or _ALPHANUMERIC.match(text):
        return text
    if text.startswith("0") and text.replace(" ", "").isdigit():
        raise SendingSettingError(
            f"write the number in international form, e.g. +44{text.replace(' ', '')[1:]}"
        )
    if len(text) > 11 and not text.startswith("+"):
        raise SendingSettingError(
            f"a sender name can have at most 11 characters; {text!r} has {len(text)}"
        )
    raise SendingSettingError(
        "the SMS sender must be a name of up to 11 letters or digits (with at least one "
        "letter, e.g. CoatesLane) or a phone number such as +447700900123"
    )


def clean_price_pence(raw: str, what: str = "the price per segment") -> Decimal | None:
    text = (raw or "").strip().removesuffix("p").strip()
    if not text:
        return None
    try:
        pence = Decimal(text)
    except InvalidOperation:
        raise SendingSettingError(
            f"{what} is a number of pence, e.g. 4 or 3.5, not {raw!r}"
        ) from None
    if not pence.is_finite() or pence < 0 or pence > MAX_PRICE_PENCE:
        raise SendingSettingError(f"{what} must be between 0 and 100 pence")
    if pence != pence.quantize(Decimal("0.001")):
        raise SendingSettingError(f"{what} can have at most 3 decimal places")
    return pence.quantize(Decimal("0.001"))


def clean_allowance(raw: str) -> int | None:
    text = (raw or "").strip().replace(",", "")
    if not text:
        return None
    if not text.isdigit() or not text.isascii():
        raise SendingSettingError(
            f"the free allowance is a whole number of text messages, e.g. 5000, not {raw!r}"
        )
    number = int(text)
    if number > MAX_ALLOWANCE:
        raise SendingSettingError(f"the free allowance can be at most {MAX_ALLOWANCE:,}")
    return number
