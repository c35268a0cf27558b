"""Reading what the bounce Maildir receives, as mail servers really send it.

1. An RFC 3464 delivery status notification (dsn.py): Postfix, Sendmail, Exchange and
   Microsoft 365, Amazon SES, and the many that follow the standard.
2. Otherwise the bounce formats of servers that never did (Exim, qmail, older Sendmail,
   Exchange 2003, Gmail's and Yahoo's plain-text notices…), read by `flufl.bounce`, which
   knows dozens of them. It gives the failed addresses and whether each failure is
   permanent or temporary; the status code and the server's words are taken from the text
   (the first SMTP reply or enhanced status code that appears), so the cause can be told.
3. An ARF spam complaint (RFC 5965, `message/feedback-report`): a parent pressed "report
   spam"; it is not a bounce.
4. An auto-reply (RFC 3834 `Auto-Submitted: auto-replied`, "out of office"): recorded only.

Which of our messages it is about: the VERP address it was delivered to, or our Message-ID
wherever it appears in the mail (DSNs return it in a part; Exim and qmail paste the original
headers into the text).
"""

from __future__ import annotations

import email
import logging
import re
from dataclasses import dataclass, field
from email.message import Message

from flufl.bounce import all_failures

from parentlink.messaging.dsn import Dsn, NotADsn, RecipientStatus, delivered_to, dsn_from

# flufl.bounce logs each detector that chokes on a mail another detector reads: not ours to see.
logging.getLogger("flufl.bounce").setLevel(logging.CRITICAL)
OUR_MESSAGE_ID = re.compile(rb"<message-\d+\.\d+@parentlink\.invalid>")
_ENHANCED = re.compile(r"\b([245]\.\d{1,3}\.\d{1,3})\b")
_REPLY = re.compile(r"\b([45]\d\d)[ -]")
_AUTO_SUBJECT = re.compile(r"^(out of (the )?office|automatic reply|auto(matic)?[- ]?reply)", re.I)


@dataclass(frozen=True)
class Complaint:
    """A recipient reported one of our emails as spam (ARF)."""

    delivered_to: list[str]
    message_ids: list[str]
    recipients: list[str]  # the complaining addresses we can see (may be redacted)
    feedback_type: str = "abuse"


@dataclass(frozen=True)
class AutoReply:
    delivered_to: list[str]
    message_ids: list[str]
    recipients: list[str] = field(default_factory=list)  # the From of the reply


def read_report(raw: bytes) -> Dsn | Complaint | AutoReply:
    """What a mail in the bounce Maildir is; NotADsn if it is none of these."""
    # One parse, with the classic policy: it is several times faster than the modern one
    # on header-heavy bounces, and it is the one flufl.bounce expects.
    mail = email.message_from_bytes(raw)
    ids = _our_ids(raw)
    complaint = _complaint(mail, ids)
    if complaint is not None:
        return complaint
    try:
        report = dsn_from(mail)
    except NotADsn as not_standard:
        report = _from_flufl(mail, ids)
        if report is None:
            if _is_auto_reply(mail):
                sender = str(mail.get("From", ""))
                return AutoReply(delivered_to(mail), ids, _address_list(sender))
            raise not_standard from None
    return Dsn(
        delivered_to=report.delivered_to,
        message_ids=list(dict.fromkeys([*report.message_ids, *ids])),
        recipients=report.recipients,
    )


def _our_ids(raw: bytes) -> list[str]:
    return list(dict.fromkeys(m.decode() for m in OUR_MESSAGE_ID.findall(raw)))


def _from_flufl(mail: Message, ids: list[str]) -> Dsn | None:
    try:
        temporary, permanent = all_failures(mail)
    except Exception:  # noqa: BLE001 - a detector choking on a malformed mail: not a bounce
        return None
    if not temporary and not permanent:
        return None
    text = _plain_text(mail)
    code = _enhanced_code(text)
    diagnostic = _diagnostic(text)
    recipients = []
    for address, gave_up in [(a, True) for a in permanent] + [(a, False) for a in temporary]:
        status = code if code and code[0] == ("5" if gave_up else "4") else None
        status = status or ("5.0.0" if gave_up else "4.0.0")
        action = "failed" if gave_up else "delayed"
        recipient = address.decode("utf-8", "replace").strip("<>").lower()
        recipients.append(RecipientStatus(action, status, recipient, diagnostic))
    return Dsn(delivered_to=delivered_to(mail), message_ids=ids, recipients=recipients)


def _plain_text(mail: Message) -> str:
    parts = []
    for part in mail.walk():
        if part.get_content_type() == "text/plain":
            payload = part.get_payload(decode=True) or b""
            charset = part.get_content_charset() or "utf-8"
            try:
                parts.append(payload.decode(charset, "replace"))
            except LookupError:
                parts.append(payload.decode("utf-8", "replace"))
    return "\n".join(parts)[:20_000]


def _enhanced_code(text: str) -> str | None:
    found = _ENHANCED.search(text)
    return found.group(1) if found else None


def _diagnostic(text: str) -> str:
    """The first line with an SMTP reply or an enhanced status code: the server's words."""
    for line in text.splitlines():
        line = " ".join(line.split())
        if _ENHANCED.search(line) or _REPLY.search(line):
            return line[:400]
    return ""


def _complaint(mail: Message, ids: list[str]) -> Complaint | None:
    feedback = next(
        (p for p in mail.walk() if p.get_content_type() == "message/feedback-report"), None
    )
    if feedback is None:
        return None
    fields = _feedback_fields(feedback)
    recipients = _address_list(fields.get("original-rcpt-to", "")) + _address_list(
        fields.get("removal-recipient", "")
    )
    return Complaint(
        delivered_to=delivered_to(mail),
        message_ids=ids,
        recipients=list(dict.fromkeys(recipients)),
        feedback_type=fields.get("feedback-type", "abuse").lower()[:32],
    )


def _feedback_fields(part) -> dict[str, str]:
    payload = part.get_payload()
    if isinstance(payload, list):  # parsed as a message: its headers are the fields
        items = [item for block in payload for item in block.items()]
    else:
        text = payload if isinstance(payload, str) else payload.decode("utf-8", "replace")
        items = [line.split(":", 1) for line in text.splitlines() if ":" in line]
    return {str(k).strip().lower(): str(v).strip() for k, v in items}


def _address_list(value: str) -> list[str]:
    return [a.lower() for a in re.findall(r"[^\s<>,;:\"]+@[^\s<>,;:\"]+", value)]


def _is_auto_reply(mail: Message) -> bool:
    auto = str(mail.get("Auto-Submitted", "")).lower()
    return (
        auto.startswith("auto-replied")
        or mail.get("X-Autoreply") is not None
        or mail.get("X-Autorespond") is not None
        or bool(_AUTO_SUBJECT.match(str(mail.get("Subject", "")).strip()))
    )
