"""Phone and email rules: what we accept as a way to reach a parent, normalised."""

from __future__ import annotations

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from flask import current_app, has_app_context
from phonenumbers import NumberParseException, PhoneNumberType


class AddressError(ValueError):
    """A phone number or email address we cannot use, with a reason an office can act on."""


_MOBILE_TYPES = {PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE}
_TYPE_NAMES = {
    PhoneNumberType.FIXED_LINE: "a landline",
    PhoneNumberType.PREMIUM_RATE: "a premium-rate number",
    PhoneNumberType.TOLL_FREE: "a freephone number",
    PhoneNumberType.SHARED_COST: "a shared-cost number",
    PhoneNumberType.VOIP: "an internet (VoIP) number",
    PhoneNumberType.PERSONAL_NUMBER: "a personal (07x0) number",
    PhoneNumberType.PAGER: "a pager number",
    PhoneNumberType.UAN: "a company number",
}


def normalise_mobile(
    raw: str, *, region: str = "GB", allow_international: bool | None = None
) -> str:
    """A mobile number that can receive SMS, as E.164 (+447700900123). International
    mobiles are refused unless allowed (by default: the ALLOW_INTERNATIONAL_MOBILES
    setting)."""
    if allow_international is None:
        allow_international = has_app_context() and bool(
            current_app.config.get("ALLOW_INTERNATIONAL_MOBILES")
        )
    text = (raw or "").strip()
    if not text:
        raise AddressError("no mobile number given")
    try:
        number = phonenumbers.parse(text, region)
    except NumberParseException as exc:
        raise AddressError(f"{text!r} is not a phone number") from exc
    if _is_drama_number(number):
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    if not phonenumbers.is_valid_number(number):
        raise AddressError(f"{text!r} is not a valid phone number")
    home = phonenumbers.country_code_for_region(region)  # +44 covers Jersey, Guernsey, Man
    if number.country_code != home and not allow_international:
        raise AddressError(f"{text!r} is not a UK number (international mobiles are turned off)")
    kind = phonenumbers.number_type(number)
    if kind not in _MOBILE_TYPES:
        what = _TYPE_NAMES.get(kind, "not a mobile number")
        raise AddressError(f"{text!r} is {what}, which cannot receive text messages")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _is_drama_number(number: phonenumbers.PhoneNumber) -> bool:
    """Ofcom's drama range, 07700 900000-900999: never given to a real phone, so demo and
    test data can use it safely. phonenumbers calls these invalid; we treat them as mobiles."""
    national = str(number.national_number)
    return number.country_code == 44 and len(national) == 10 and national.startswith("7700900")


def normalise_email(raw: str) -> str:
    """A syntactically valid address, normalised (no network look-ups)."""
    text = (raw or "").strip()
    if not text:
        raise AddressError("no email address given")
    try:
        return validate_email(text, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise AddressError(f"{text!r} is not a valid email address: {exc}") from exc


def display_mobile(e164: str) -> str:
    """+447700900123 -> 07700 900123, as people in the UK write it."""
    number = phonenumbers.parse(e164, None)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
