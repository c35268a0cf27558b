"""Reading delivery status notifications (RFC 3464 bounces) with the stdlib `email` package.

A DSN is a `multipart/report; report-type=delivery-status` whose `message/delivery-status`
part holds one block of per-message fields and one block per recipient (Action, Status,
Final-Recipient, Diagnostic-Code…), usually followed by the returned message or its
headers. What matters to us: where it was delivered (our VERP address), which of our
messages it is about (the returned Message-ID, or In-Reply-To/References), and for each
recipient whether it failed for good (5.x.x), is only delayed (4.x.x), or went through.
"""

from __future__ import annotations

import email
import re
from dataclasses import dataclass, field
from email.message import Message
from email.parser import HeaderParser

# Where the receiving system wrote the address the DSN was delivered to, most exact first.
_DELIVERY_HEADERS = ("Delivered-To", "X-Original-To", "Envelope-To", "To")
_STATUS = re.compile(r"^([245])\.\d{1,3}\.\d{1,3}$")
_MESSAGE_ID = re.compile(r"<[^<>\s]+>")


class NotADsn(ValueError):
    """The mail is not a delivery status notification we can read."""


@dataclass(frozen=True)
class RecipientStatus:
    action: str  # failed, delayed, delivered, relayed, expanded
    status: str  # "5.1.1"
    recipient: str  # the Final-Recipient (else Original-Recipient) address, lower case
    diagnostic: str = ""

    @property
    def hard(self) -> bool:
        """Failed for good: the address will not take mail."""
        return self.action == "failed" and self.status.startswith("5.")

    @property
    def gave_up(self) -> bool:
        """Not delivered: failed for good, or retried until the sender gave up."""
        return self.action == "failed"


@dataclass(frozen=True)
class Dsn:
    delivered_to: list[str]  # candidates for our VERP address
    message_ids: list[str]  # the original message's Message-ID, and what the DSN cites
    recipients: list[RecipientStatus] = field(default_factory=list)


def parse_dsn(raw: bytes) -> Dsn:
    """The DSN in `raw`; NotADsn if it is something else (an autoreply, a broken mail)."""
    return dsn_from(email.message_from_bytes(raw))


def dsn_from(mail: Message) -> Dsn:
    """The DSN in a parsed mail. Read as servers really send them: a `message/delivery-status`
    part anywhere (also nested in `multipart/mixed`, or under a `multipart/report` that
    forgot its `report-type`), and an Action with a comment ("failed (Bad destination
    mailbox address)") read by its first word."""
    if not mail.is_multipart():
        raise NotADsn(f"a {mail.get_content_type()} mail, not a multipart/report")
    status_part = next(
        (
            p
            for p in mail.walk()
            if p.get_content_type() in ("message/delivery-status", "message/global-delivery-status")
        ),
        None,
    )
    if status_part is None:
        raise NotADsn("no message/delivery-status part")
    blocks = status_part.get_payload()
    if not isinstance(blocks, list) or len(blocks) < 2:
        raise NotADsn("the delivery-status part has no per-recipient fields")
    recipients = [r for r in (_recipient(block) for block in blocks[1:]) if r is not None]
    if not recipients:
        raise NotADsn("no recipient with an Action and a valid Status")
    per_message = blocks[0]
    return Dsn(
        delivered_to=_addresses(mail),
        message_ids=_original_ids(mail, per_message),
        recipients=recipients,
    )


def _recipient(block: Message) -> RecipientStatus | None:
    action = (str(block.get("Action", "")).strip().lower().split() or [""])[0]
    status = str(block.get("Status", "")).split()[0:1]
    recipient = _typed_address(block.get("Final-Recipient")) or _typed_address(
        block.get("Original-Recipient")
    )
    if not action or not status or not _STATUS.match(status[0]) or not recipient:
        return None
    diagnostic = " ".join(str(block.get("Diagnostic-Code", "")).split())
    return RecipientStatus(action, status[0], recipient, diagnostic[:400])


def _typed_address(value: object) -> str:
    """ "rfc822; Someone@Example.com" -> "someone@example.com"."""
    if not value:
        return ""
    kind, _, address = str(value).partition(";")
    if not address:
        address = kind
    return address.strip().strip("<>").lower()


def delivered_to(mail: Message) -> list[str]:
    """Where the receiving system says it delivered the mail (our VERP address, if so)."""
    return _addresses(mail)


def _addresses(mail: Message) -> list[str]:
    found = []
    for header in _DELIVERY_HEADERS:
        for value in mail.get_all(header) or []:
            found += [a.strip().strip("<>") for a in str(value).split(",") if "@" in a]
    return list(dict.fromkeys(re.sub(r"^.*<", "", a).lower() for a in found))


def _original_ids(mail: Message, per_message: Message) -> list[str]:
    ids = []
    for part in mail.walk():
        kind = part.get_content_type()
        if kind == "message/rfc822":
            payload = part.get_payload()
            inner = payload[0] if isinstance(payload, list) and payload else None
            if inner is not None and inner.get("Message-ID"):
                ids.append(str(inner["Message-ID"]))
        elif kind == "text/rfc822-headers":
            text = part.get_payload(decode=True) or b""
            headers = HeaderParser().parsestr(text.decode("utf-8", "replace"))
            if headers.get("Message-ID"):
                ids.append(str(headers["Message-ID"]))
    for header in ("Original-Message-ID", "X-Original-Message-ID"):
        if per_message.get(header):
            ids.append(str(per_message[header]))
    for header in ("In-Reply-To", "References"):
        ids += _MESSAGE_ID.findall(str(mail.get(header, "")))
    return list(dict.fromkeys(i for found in ids for i in _MESSAGE_ID.findall(found)))
