"""Bounces: a refusal at send time, or a delivery status notification that comes back later.

Each email leaves with a VERP return path, `bounces+<message id>-<signature>@<domain>`
(PARENTLINK_BOUNCE_ADDRESS gives `bounces@<domain>`), so the DSN a receiving system sends
back names the message it is about. The signature (an HMAC with the secret key) keeps
a stranger from bouncing messages by guessing ids. A DSN delivered elsewhere (a relay
that rewrote the return path) is matched by the returned Message-ID instead, but only if
its recipient is the message's address.

`ingest_maildir` reads the new mails of PARENTLINK_BOUNCE_MAILDIR (the mail server
delivers the bounce address there) as servers really send them (bounce_reading.py: RFC
3464, the formats flufl.bounce knows, ARF complaints, auto-replies) and acts by cause
(`apply_dsn`, bounce_causes.py). Mails it has read are deleted; mails it cannot read or
match are moved to the Maildir's `unrecognised` folder for a person to look at, with a
line in the log.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import mailbox
import re
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, or_, select

from parentlink.core.audit import AuditEvent, record
from parentlink.core.clock import now
from parentlink.db import db, transaction
from parentlink.directory.models import Channel, Contact
from parentlink.messaging.bounce_causes import Cause, classify, explain_sender_problem
from parentlink.messaging.bounce_reading import AutoReply, Complaint, read_report
from parentlink.messaging.dsn import Dsn, NotADsn, RecipientStatus
from parentlink.messaging.fallback import fall_back
from parentlink.messaging.models import DeliveryEvent, Message, MessageStatus

log = logging.getLogger("parentlink.bounces")
UNRECOGNISED = "unrecognised"
_OUR_MESSAGE_ID = re.compile(r"^<message-(\d+)\.(\d+)@parentlink\.invalid>$")


# -- VERP return paths ------------------------------------------------------------------------


def return_path(message_id: int) -> str | None:
    """The envelope sender for this message's email, or None (no bounce address set)."""
    address = current_app.config.get("BOUNCE_ADDRESS")
    if not address:
        return None
    local, _, domain = address.rpartition("@")
    return f"{local}+{message_id}-{_signature(message_id)}@{domain}"


def message_id_from(address: str) -> int | None:
    """The message a VERP address stands for, if it is ours and its signature is right."""
    configured = current_app.config.get("BOUNCE_ADDRESS")
    if not configured:
        return None
    local, _, domain = configured.lower().rpartition("@")
    match = re.fullmatch(
        rf"{re.escape(local)}\+(\d+)-([0-9a-f]+)@{re.escape(domain)}", address.lower()
    )
    if match is None:
        return None
    message_id = int(match.group(1))
    if not hmac.compare_digest(match.group(2), _signature(message_id)):
        return None
    return message_id


def _signature(message_id: int) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"bounce:{message_id}".encode(), hashlib.sha256).hexdigest()[:12]


# -- applying a bounce ------------------------------------------------------------------------


def bounce(message: Message, at: datetime, reason: str, code: str | None, *, hard: bool) -> bool:
    """Mark an email BOUNCED and move its invitation to SMS once. The contact is flagged
    for the office when the address itself was refused (`hard`), not when the receiving
    system gave up for a passing reason (a mailbox full for days). False if the message
    had already settled otherwise (then nothing changes)."""
    if message.status not in (MessageStatus.SENDING, MessageStatus.SENT, MessageStatus.DELIVERED):
        return False
    fall_back(message, at, reason, code, flag=hard, dead=hard)  # needs the link token: first
    message.bounced(at, reason)
    return True


def apply_dsn(report: Dsn, at: datetime) -> bool | None:
    """Record what the bounce says about our message, by its cause (bounce_causes.py):
    None if it is about none of ours, else whether it bounced the message now.

    - the recipient is wrong: bounced, the contact flagged, the invitation sent by SMS;
    - our mail was refused (SPF, DKIM, DMARC, reputation, reverse DNS, content): bounced
      and sent by SMS, the contact NOT flagged; the administrator is told once;
    - a full mailbox or another passing failure: bounced and sent by SMS, not flagged, but
      counted: the third such bounce for the same contact flags the address;
    - a delay: recorded only."""
    message, status = _match(report)
    if message is None or status is None:
        return None
    cause = classify(status)
    reason = f"the mail server reported {status.action} ({status.status})"
    if status.diagnostic:
        reason += f": {status.diagnostic}"
    applied = False
    if message.channel is Channel.EMAIL and cause is not Cause.DELAYED:
        hard = cause is Cause.RECIPIENT or (
            cause in (Cause.MAILBOX_FULL, Cause.SOFT) and _soft_bounces(message) >= SOFT_LIMIT - 1
        )
        applied = bounce(message, at, reason, status.status, hard=hard)
        if cause is Cause.SENDER:
            _tell_the_administrator(message.school_id, status, at)
    message.note(
        at,
        "dsn",
        f"{status.action} {status.status}",
        error_code=status.status,
        detail=f"[{cause.value}] {status.diagnostic}".strip(),
        applied=applied,
    )
    return applied


SOFT_LIMIT = 3  # soft bounces (full mailbox…) for one contact before the address is flagged
SENDER_NOTICE = "mail.sender_refused"
NOTICE_DAYS = 14  # a problem still bouncing after this long is told again (and shown again)


def _soft_bounces(message: Message) -> int:
    """Earlier full-mailbox or soft bounces of this contact's emails."""
    if message.contact_id is None:
        return 0
    return db.session.scalar(
        select(func.count(DeliveryEvent.id))
        .join(Message, Message.id == DeliveryEvent.message_id)
        .where(
            Message.contact_id == message.contact_id,
            DeliveryEvent.source == "dsn",
            or_(
                DeliveryEvent.detail.like(f"[{Cause.MAILBOX_FULL.value}]%"),
                DeliveryEvent.detail.like(f"[{Cause.SOFT.value}]%"),
            ),
        )
    )


def _tell_the_administrator(school_id: int, status: RecipientStatus, at: datetime) -> None:
    """Once per school and problem every NOTICE_DAYS: an entry in the audit log, which the
    office overview shows administrators while it is recent (messaging/queries.py), and a
    warning in the log, with what is wrong and what to fix. No parent's details."""
    what, fix = explain_sender_problem(status)
    subject = f"problem:{what[:100]}"
    told = db.session.scalar(
        select(AuditEvent.id).where(
            AuditEvent.school_id == school_id,
            AuditEvent.action == SENDER_NOTICE,
            AuditEvent.subject == subject,
            AuditEvent.at > at - timedelta(days=NOTICE_DAYS),
        )
    )
    if told is not None:
        return
    record(
        SENDER_NOTICE,
        actor="system:bounces",
        school_id=school_id,
        subject=subject,
        problem=what,
        fix=fix,
        status=status.status,
    )
    log.warning("bounces: our mail is refused (%s): %s; to fix: %s", status.status, what, fix)


def apply_complaint(report: Complaint, at: datetime) -> bool | None:
    """A parent reported our email as spam: no more email to that address (as STOP does
    for texts); the office sees it on the data-quality list. None if not about ours."""
    message = _complained_about(report)
    if message is None:
        return None
    contact = db.session.get(Contact, message.contact_id) if message.contact_id else None
    stopped = False
    if contact is not None and contact.email and contact.email.lower() == message.to_address:
        stopped = not contact.email_complained
        contact.email_complained = True
    message.note(at, "arf", f"complaint {report.feedback_type}", applied=stopped)
    return stopped


def apply_auto_reply(report: AutoReply, at: datetime) -> bool | None:
    """An out-of-office answer to one of our emails: recorded, nothing changes."""
    message = _complained_about(report)
    if message is None:
        return None
    message.note(at, "auto-reply", "auto-reply", applied=False)
    return False


def _complained_about(report: Complaint | AutoReply) -> Message | None:
    """Our message, by VERP address, else by its Message-ID (complaints often hide the
    recipient, so the Message-ID is enough here: a complaint only stops email)."""
    for address in report.delivered_to:
        message_id = message_id_from(address)
        if message_id is not None:
            return db.session.get(Message, message_id, with_for_update=True)
    for ref in report.message_ids:
        found = _OUR_MESSAGE_ID.match(ref)
        if found is not None:
            return db.session.scalar(
                select(Message)
                .where(Message.id == int(found.group(1)), Message.school_id == int(found.group(2)))
                .with_for_update()
            )
    return None


def _match(report: Dsn) -> tuple[Message | None, RecipientStatus | None]:
    for address in report.delivered_to:
        message_id = message_id_from(address)
        if message_id is not None:
            message = db.session.get(Message, message_id, with_for_update=True)
            if message is not None:
                return message, _status_for(report, message) or report.recipients[0]
    for ref in report.message_ids:
        found = _OUR_MESSAGE_ID.match(ref)
        if found is None:
            continue
        message = db.session.scalar(
            select(Message)
            .where(Message.id == int(found.group(1)), Message.school_id == int(found.group(2)))
            .with_for_update()
        )
        # Message-IDs can be guessed: the DSN must also name the message's recipient.
        status = _status_for(report, message) if message is not None else None
        if status is not None:
            return message, status
    return None, None


def _status_for(report: Dsn, message: Message) -> RecipientStatus | None:
    address = message.to_address.lower()
    return next((r for r in report.recipients if r.recipient == address), None)


# -- the Maildir ------------------------------------------------------------------------------


@dataclass
class BounceCounts:
    read: int = 0
    bounced: int = 0  # messages this run marked BOUNCED
    noted: int = 0  # matched, kept as an event only (delayed, or already settled)
    unrecognised: int = 0  # not a DSN, or not about one of our messages: set aside
    errors: int = 0  # left in place to try again next run

    def as_dict(self) -> dict:
        return asdict(self)


BATCH = 200  # mails recorded per transaction; each is deleted only once it is committed


def ingest_maildir(path: str) -> BounceCounts:
    """Read the bounces waiting in the Maildir at `path` (see the module's docstring).

    Mails are recorded a batch at a time in one transaction, and deleted only once it is
    committed (a crash before reads them again; applying a bounce twice changes nothing the
    second time). If recording one of them fails, the batch is rolled back and recorded one
    mail per transaction, so the failing mail stays for the next run and the rest go."""
    box = mailbox.Maildir(path, factory=None, create=False)
    counts = BounceCounts()
    keys = list(box.iterkeys())
    for start in range(0, len(keys), BATCH):
        batch = keys[start : start + BATCH]
        try:
            _ingest(box, batch, counts)
        except _RecordingFailed:
            for key in batch:
                try:
                    _ingest(box, [key], counts)
                except _RecordingFailed:
                    log.exception("bounces: recording %s failed; it stays for the next run", key)
                    counts.errors += 1
    return counts


class _RecordingFailed(Exception):
    pass


def _ingest(box: mailbox.Maildir, keys: list[str], counts: BounceCounts) -> None:
    done: list[tuple[str, bool | None]] = []
    read = 0
    with transaction():
        for key in keys:
            try:
                raw = box.get_bytes(key)
            except KeyError:  # another reader took it meanwhile
                continue
            read += 1
            report = _read(key, raw)
            if report is None:
                done.append((key, None))
                continue
            try:
                bounced = _APPLY[type(report)](report, now())
            except Exception as exc:
                raise _RecordingFailed(key) from exc
            if bounced is None:
                log.warning("bounces: %s is not about any message of ours", key)
            done.append((key, bounced))
    counts.read += read
    for key, bounced in done:  # committed: now the mails may go
        if bounced is None:
            _set_aside(box, key)
            counts.unrecognised += 1
            continue
        box.discard(key)  # recorded: the events keep what mattered
        if bounced:
            counts.bounced += 1
        else:
            counts.noted += 1


def _read(key: str, raw: bytes):
    """The report in a mail, or None (not one we can read: it is set aside)."""
    try:
        return read_report(raw)
    except NotADsn as exc:
        log.warning("bounces: %s is not a delivery status notification (%s)", key, exc)
    except Exception:  # a mail malformed beyond what the parser copes with
        log.exception("bounces: could not read %s", key)
    return None


_APPLY = {Dsn: apply_dsn, Complaint: apply_complaint, AutoReply: apply_auto_reply}


def _set_aside(box: mailbox.Maildir, key: str) -> None:
    try:
        folder = box.get_folder(UNRECOGNISED)
    except mailbox.NoSuchMailboxError:
        folder = box.add_folder(UNRECOGNISED)
    try:
        folder.add(box.get_message(key))
    except KeyError:  # another reader (`parentlink bounces` beside the job) took it
        return
    box.discard(key)
