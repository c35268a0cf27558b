"""Email through SMTP with Flask-Mail: one connection for a whole batch.

Per message, the server's reply decides: 5xx is permanent (the reason quotes the server;
a 5xx refusal of the recipient at RCPT is a bounce), 4xx means try again later. The
envelope sender is the message's VERP return path when there is one (bounces.py). If
the connection itself fails, that message and the rest of the batch are `retry`;
reconnecting is the dispatcher's job on its next run.
"""

from __future__ import annotations

import smtplib
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from datetime import datetime

from flask import current_app, has_app_context
from flask_mail import BadHeaderError, Connection, Mail, Message

from parentlink.messaging.gateways.base import Outgoing, SendResult


class _ConnectionLost(Exception):
    """The SMTP connection is gone: stop using it for this batch."""


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
                with self.mail.connect() as conn:
                    if conn.host is not None and conn.host.sock is not None:
                        conn.host.sock.settimeout(self.timeout)
                    for outgoing in batch:
                        if pace is not None:
                            pace()
                        try:
                            results.append(self._send_one(conn, outgoing))
                        except _ConnectionLost as exc:
                            lost = str(exc)
                            break
            except OSError as exc:  # smtplib.SMTPException is an OSError too
                # Connecting failed, or QUIT failed at the end (then nothing is missing).
                lost = lost or f"could not talk to the mail server: {_describe(exc)}"
        results.extend(SendResult.retry(lost or "not sent") for _ in batch[len(results) :])
        return results

    def _send_one(self, conn: Connection, outgoing: Outgoing) -> SendResult:
        if not outgoing.to:
            return SendResult.permanent("there is no email address to send to")
        message = Message(
            subject=outgoing.subject or "",
            recipients=[outgoing.to],
            body=outgoing.body,
            html=outgoing.html,
        )
        if outgoing.message_ref:
            message.msgId = outgoing.message_ref
        try:
            conn.send(message, envelope_from=outgoing.return_path)
        except smtplib.SMTPRecipientsRefused as exc:
            code, reply = next(iter(exc.recipients.values()), (550, b""))
            result = _by_code(code, reply, f"the mail server refused {outgoing.to}")
            if code == 421:  # smtplib has closed the connection
                raise _ConnectionLost(result.reason or "the mail server closed") from exc
            if 500 <= code < 600:  # the address itself: a bounce at send time
                return SendResult.bounced(result.reason or "refused", result.error_code)
            return result
        except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as exc:
            what = "our sender address" if isinstance(exc, smtplib.SMTPSenderRefused) else "it"
            result = _by_code(exc.smtp_code, exc.smtp_error, f"the mail server refused {what}")
            if exc.smtp_code == 421:  # the server is closing the connection
                raise _ConnectionLost(result.reason or "the mail server closed") from exc
            return result
        except smtplib.SMTPNotSupportedError as exc:
            return SendResult.permanent(f"the mail server cannot take this address: {exc}")
        except BadHeaderError:
            return SendResult.permanent("the subject or an address contains a line break")
        except smtplib.SMTPResponseException as exc:
            result = _by_code(exc.smtp_code, exc.smtp_error, "the mail server refused it")
            if exc.smtp_code == 421:
                raise _ConnectionLost(result.reason or "the mail server closed") from exc
            return result
        except OSError as exc:  # SMTPServerDisconnected, timeouts, resets
            raise _ConnectionLost(f"the mail server connection failed: {_describe(exc)}") from exc
        # MAIL_SUPPRESS_SEND (on by default when app.testing) means Flask-Mail sent nothing.
        status = "suppressed" if conn.host is None else "sent"
        return SendResult.accepted(message.msgId, status)

    def _app_context(self) -> AbstractContextManager[object]:
        if has_app_context():
            return nullcontext()
        app = getattr(self.mail, "app", None)
        if app is None:
            raise RuntimeError("SmtpEmailGateway needs an app context or a Mail(app)")
        return app.app_context()


def _by_code(code: int, reply: bytes | str, what: str) -> SendResult:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
    reason = f"{what}: {code} {text}".strip()
    if 400 <= code < 500:
        return SendResult.retry(reason, str(code))
    return SendResult.permanent(reason, str(code))


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
