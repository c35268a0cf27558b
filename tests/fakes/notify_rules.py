"""The rules the local Notify-compatible server applies as GOV.UK Notify does: the JWT
check (notifications-api's auth order and messages), recipients, templates and
personalisation (its documented error messages). See notify_api.py for the sources."""

from __future__ import annotations

import json
import re
import time
import uuid
from typing import Any

import jwt
from werkzeug.wrappers import Request, Response

CLOCK_SKEW = 30  # seconds either way, as Notify allows
EMAIL = re.compile(r"^[^@\s]+@([^.@\s]+\.)+[^.@\s]+$")
PLACEHOLDER = re.compile(r"\(\(([^()]+)\)\)")


def error(status: int, kind: str, message: str) -> Response:
    body = {"status_code": status, "errors": [{"error": kind, "message": message}]}
    return Response(json.dumps(body), status=status, mimetype="application/json")


def is_uuid(value: Any) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return isinstance(value, str)


def uk_or_international(raw: str) -> tuple[str | None, str | None]:
    """(the number as Notify stores it, None) or (None, the ValidationError message)."""
    text = re.sub(r"[\s()\-.]", "", raw)
    if not re.fullmatch(r"\+?\d+", text):
        return None, "phone_number Must not contain letters or symbols"
    digits = text.lstrip("+")
    if digits.startswith("00"):
        digits = digits[2:]
    if text.startswith("+") or raw.strip().startswith("00"):
        if not digits.startswith("44"):
            if len(digits) < 8:
                return None, "phone_number Not enough digits"
            if len(digits) > 15:
                return None, "phone_number Too many digits"
            return "+" + digits, None
        national = digits[2:]
    elif digits.startswith("44") and len(digits) == 12:
        national = digits[2:]
    else:
        national = digits[1:] if digits.startswith("0") else digits
    if len(national) < 10:
        return None, "phone_number Not enough digits"
    if len(national) > 10:
        return None, "phone_number Too many digits"
    if not national.startswith("7"):
        return None, "phone_number Not a UK mobile number"
    return "+44" + national, None


def authenticate(
    request: Request, service_id: str, keys: dict[str, tuple[str, str]]
) -> Response | None:
    """None when the request's JWT is one Notify would take (then the key's type is in
    `request.environ['notify.key_type']`); else Notify's 401/403 answer."""
    header = request.headers.get("Authorization", "")
    if not header:
        return error(401, "AuthError", "Unauthorized: authentication token must be provided")
    if header[:7].title() != "Bearer ":
        return error(401, "AuthError", "Unauthorized: authentication bearer scheme must be used")
    token = header[7:]
    try:
        unverified = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        return error(403, "AuthError", "Invalid token: signature, api token is not valid")
    if "iss" not in unverified:
        return error(403, "AuthError", "Invalid token: iss field not provided")
    if not is_uuid(unverified["iss"]):
        return error(403, "AuthError", "Invalid token: service id is not the right data type")
    if unverified["iss"] != service_id:
        return error(403, "AuthError", "Invalid token: service not found")
    for secret, (_, key_type) in keys.items():
        try:
            claims = jwt.decode(token, key=secret, algorithms=["HS256"], leeway=CLOCK_SKEW)
        except (jwt.InvalidIssuedAtError, jwt.ImmatureSignatureError):
            return clock_error()
        except jwt.InvalidAlgorithmError:
            return error(403, "AuthError", "Invalid token: algorithm used is not HS256")
        except jwt.PyJWTError:
            continue
        if "iat" not in claims:
            return error(403, "AuthError", "Invalid token: iat field not provided")
        if abs(time.time() - int(claims["iat"])) > CLOCK_SKEW:
            return clock_error()
        request.environ["notify.key_type"] = key_type
        return None
    return error(403, "AuthError", "Invalid token: API key not found")


def problem(server, data: dict, kind: str, key_type: str) -> tuple[str, str] | None:
    """The first thing Notify would refuse about this send, as (error, message)."""
    field = "phone_number" if kind == "sms" else "email_address"
    for name in (field, "template_id"):
        if name not in data:
            return "ValidationError", f"{name} is a required property"
    if not isinstance(data[field], str):
        return "ValidationError", f"{field} {data[field]} is not of type string"
    reference = data.get("reference")
    if reference is not None and not isinstance(reference, str):
        return "ValidationError", f"reference {reference} is not of type string"
    if not is_uuid(data["template_id"]):
        return "ValidationError", "template_id is not a valid UUID"
    personalisation = data.get("personalisation") or {}
    if not isinstance(personalisation, dict):
        return "ValidationError", f"personalisation {personalisation} is not of type object"
    if kind == "sms":
        number, message = uk_or_international(data[field])
        if message:
            return "ValidationError", message
        if not number.startswith("+44") and not server.international:
            return "BadRequestError", "Cannot send to international mobile numbers"
        data["_to"] = number
    else:
        if not EMAIL.match(data[field].strip()):
            return "ValidationError", "email_address Not a valid email address"
        data["_to"] = data[field].strip().lower()
    template = server.templates.get(data["template_id"])
    if template is None:
        return "BadRequestError", "Template not found"
    if template["type"] != kind:
        suitable = f"{kind} template is not suitable for {template['type']} notification"
        return "BadRequestError", suitable
    sender = data.get("sms_sender_id") if kind == "sms" else data.get("email_reply_to_id")
    known = server.sms_sender_id if kind == "sms" else server.email_reply_to_id
    if sender is not None and sender != known:
        name = "sms_sender_id" if kind == "sms" else "email_reply_to_id"
        return (
            "BadRequestError",
            f"{name} {sender} does not exist in database for service id {server.service_id}",
        )
    wanted = PLACEHOLDER.findall(template["content"] + (template["subject"] or ""))
    missing = [name for name in dict.fromkeys(wanted) if name not in personalisation]
    if missing:
        return "BadRequestError", f"Missing personalisation: {', '.join(missing)}"
    if key_type == "team" and data["_to"] not in server.team_members:
        return "BadRequestError", "Can’t send to this recipient using a team-only API key"
    return None


def clock_error() -> Response:
    message = "Error: Your system clock must be accurate to within 30 seconds"
    return error(403, "AuthError", message)
