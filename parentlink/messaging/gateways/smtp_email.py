"""Email through SMTP with Flask-Mail: one connection for a whole batch.

Per message, the server's reply decides: 5xx is permanent (the reason quotes the server;
a 5xx refusal of the recipient at RCPT is a bounce; a 5xx refusal of the text at DATA
says nothing about the address, but the other channel is tried), 4xx means try again later,
and slower when the reply says we are sending too fast or too much. The envelope sender is
the message's VERP return path when there is one (bounces.py). If the connection itself
fails, that message and the rest of the batch are `retry`; reconnecting is the
dispatcher's job on its next run.
"""

from __future__ import annotations

import re
import smtplib
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from datetime import datetime
from email.charset import QP, Charset
from email.mime.image import MIMEImage
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.policy import compat32
from email.utils import formataddr, formatdate, make_msgid, parseaddr

from flask import current_app, has_app_context
from flask_mail import Connection, Mail, sanitize_address, sanitize_subject

from parentlink.messaging.gateways.base import Outgoing, SendResult


class _ConnectionLost(Exception):
    """The SMTP connection is gone: stop using it for this batch. `result` is the message's
    own, when the server said why it closed (421)."""

    def __init__(self, reason: str, result: SendResult | None = None) -> None:
        super().__init__(reason)
        self.result = result


# A temporary refusal of our rate or volume, not of one mailbox, as relays word it: Amazon SES
# "454 Throttling failure: Maximum sending rate exceeded" (or "Daily message quota exceeded"),
# Google's SMTP relay "450 4.2.1 Peak SMTP relay limit exceeded for this customer", Gmail
# "421 4.7.0 ... unusual rate of unsolicited mail ... temporarily rate limited", "452 4.3.2
# Connection rate limit exceeded", SendGrid "All available IPs are at maximum connection
# limit", "Too many connections". Gmail's "450 4.2.1 The user you are trying to contact is
# receiving mail at a rate that prevents additional messages" is one recipient's rate: that
# message waits, the others go on at the same pace.
_OUR_RATE = re.compile(
    r"throttl|rate[ -]?limit|sending rate|unusual rate|try again slower|quota exceeded"
    r"|relay limit|maximum connection limit|too many (?:connections|messages)",
    re.IGNORECASE,
)


class SmtpEmailGateway:
    channel = "email"

    def __init__(self, mail: Mail, timeout: float = 30) -> None:
        self.mail = mail
        self.timeout = timeout  # per SMTP reply once connected (Flask-Mail sets none)

    def send(self, outgoing: Outgoing) -> SendResult:
        return self.send_batch([outgoing])[0]

    def find_accepted(self, outgoing: Outgoing, since: datetime) -> str | None:
        """SMTP cannot be asked: None, so the message goes again with its stable Message-ID."""
        return None

    def send_batch(
        self, batch: list[Outgoing], pace: Callable[[], None] | None = None
    ) -> list[SendResult]:
        if not batch:
            return []
        results: list[SendResult] = []
        lost: str | None = None
        with self._app_context():
            if not current_app.extensions["mail"].default_sender:
                reason = "no sender address is configured (set MAIL_DEFAULT_SENDER)"
                return [SendResult.retry(reason) for _ in batch]
            try:
                sender = _sender(current_app.extensions["mail"].default_sender)
                with self.mail.connect() as conn:
                    if conn.host is not None and conn.host.sock is not None:
                        conn.host.sock.settimeout(self.timeout)
                    for outgoing in batch:
                        if pace is not None:
                            pace()
                        try:
                            results.append(self._send_one(conn, sender, outgoing))
                        except _ConnectionLost as exc:
                            lost = str(exc)
                            if exc.result is not None:
                                results.append(exc.result)
                            break
            except OSError as exc:  # smtplib.SMTPException is an OSError too
                # Connecting failed, or QUIT failed at the end (then nothing is missing).
                lost = lost or f"could not talk to the mail server: {_describe(exc)}"
        results.extend(SendResult.retry(lost or "not sent") for _ in batch[len(results) :])
        return results

    def _send_one(self, conn: Connection, sender: tuple[str, str], outgoing: Outgoing):
        if not outgoing.to:
            return SendResult.permanent("there is no email address to send to")
        if any(c in (outgoing.subject or "") + outgoing.to for c in "\r\n"):
            return SendResult.permanent("the subject or an address contains a line break")
        if conn.host is None:  # MAIL_SUPPRESS_SEND: Flask-Mail sends nothing
            return SendResult.accepted(outgoing.message_ref or "", "suppressed")
        try:
            conn.host.sendmail(
                outgoing.return_path or sender[1],
                [sanitize_address(outgoing.to)],
                _mime(outgoing, sender),
            )
        except smtplib.SMTPRecipientsRefused as exc:
            code, reply = next(iter(exc.recipients.values()), (550, b""))
            result = _by_code(code, reply, f"the mail server refused {outgoing.to}")
            if code == 421:  # smtplib has closed the connection
                raise _ConnectionLost(result.reason or "the mail server closed", result) from exc
            if 500 <= code < 600:  # the address itself: a bounce at send time
                return SendResult.bounced(result.reason or "refused", result.error_code)
            return result
        except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as exc:
            what = "our sender address" if isinstance(exc, smtplib.SMTPSenderRefused) else "it"
            result = _by_code(exc.smtp_code, exc.smtp_error, f"the mail server refused {what}")
            if exc.smtp_code == 421:  # the server is closing the connection
                raise _ConnectionLost(result.reason or "the mail server closed", result) from exc
            if isinstance(exc, smtplib.SMTPDataError) and 500 <= exc.smtp_code < 600:
                return SendResult.refused_text(result.reason or "refused", result.error_code)
            return result
        except smtplib.SMTPNotSupportedError as exc:
            return SendResult.permanent(f"the mail server cannot take this address: {exc}")
        except smtplib.SMTPResponseException as exc:
            result = _by_code(exc.smtp_code, exc.smtp_error, "the mail server refused it")
            if exc.smtp_code == 421:
                raise _ConnectionLost(result.reason or "the mail server closed", result) from exc
            return result
        except OSError as exc:  # SMTPServerDisconnected, timeouts, resets
            raise _ConnectionLost(f"the mail server connection failed: {_describe(exc)}") from exc
        return SendResult.accepted(outgoing.message_ref or "", "sent")

    def _app_context(self) -> AbstractContextManager[object]:
        if has_app_context():
            return nullcontext()
        app = getattr(self.mail, "app", None)
        if app is None:
            raise RuntimeError("SmtpEmailGateway needs an app context or a Mail(app)")
        return app.app_context()


# Quoted-printable keeps every line under SMTP's 998-character limit whatever the text.
_UTF8_QP = Charset("utf-8")
_UTF8_QP.body_encoding = QP
_WIRE = compat32.clone(linesep="\r\n")  # smtplib sends bytes as they are


def _sender(configured: str | tuple[str, str]) -> tuple[str, str]:
    """(the From header, the bare address) of MAIL_DEFAULT_SENDER ("Name <a@b>" or a pair)."""
    name, address = configured if isinstance(configured, tuple) else parseaddr(configured)
    return formataddr((name, address), "utf-8"), address


def _mime(outgoing: Outgoing, sender: tuple[str, str]) -> bytes:
    """The message as Flask-Mail would write it, flattened with the compat32 policy: the
    same MIME, at a fraction of the cost of Flask-Mail's policy.SMTP, which parses every
    header again while writing (it was most of the dispatcher's time per email)."""
    text = MIMEText(outgoing.body, "plain", _UTF8_QP)  # type: ignore[arg-type]
    if outgoing.html:
        message = MIMEMultipart("alternative")
        message.attach(text)
        html = MIMEText(outgoing.html, "html", _UTF8_QP)  # type: ignore[arg-type]
        if outgoing.images:  # the HTML and the pictures it shows by Content-ID (RFC 2387)
            related = MIMEMultipart("related")
            related.attach(html)
            for cid, content_type, data in outgoing.images:
                image = MIMEImage(data, content_type.partition("/")[2])
                image.add_header("Content-ID", f"<{cid}>")
                image.add_header("Content-Disposition", "inline", filename="logo.png")
                related.attach(image)
            html = related
        message.attach(html)
    else:
        message = text
    message["Subject"] = sanitize_subject(outgoing.subject or "")
    message["From"] = sender[0]
    message["To"] = sanitize_address(outgoing.to)
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = outgoing.message_ref or make_msgid(domain="parentlink.invalid")
    return message.as_bytes(policy=_WIRE)


def _by_code(code: int, reply: bytes | str, what: str) -> SendResult:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
    reason = f"{what}: {code} {text}".strip()
    if 400 <= code < 500:
        if _OUR_RATE.search(text):
            return SendResult.throttled(reason, str(code))
        return SendResult.retry(reason, str(code))
    return SendResult.permanent(reason, str(code))


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
