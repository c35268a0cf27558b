"""A real SMTP server (aiosmtpd) on 127.0.0.1 that keeps what it receives, for tests.

with CapturingSMTPServer() as smtp:
    app.config.update(MAIL_SERVER=smtp.host, MAIL_PORT=smtp.port)
    ...
    assert smtp.connections == 1
    assert smtp.messages[0]["Message-ID"] == "<1.abc@parentlink.invalid>"
"""

from __future__ import annotations

import asyncio
import threading
import time
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session


@dataclass
class ReceivedMail:
    """One accepted DATA: the parsed message and its envelope."""

    message: EmailMessage
    mail_from: str
    rcpt_tos: list[str] = field(default_factory=list)

    def __getitem__(self, header: str) -> Any:
        return self.message[header]

    def part(self, content_type: str) -> str | None:
        """The decoded text of the first part of this type ("text/plain", "text/html")."""
        for part in self.message.walk():
            if part.get_content_type() == content_type and not part.is_multipart():
                return str(part.get_content()).replace("\r\n", "\n")
        return None


class _Handler:
    def __init__(self, server: CapturingSMTPServer) -> None:
        self._server = server

    async def handle_MAIL(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        mail_options: list[str],
    ) -> str:
        refusal = self._server.refusal_for(f"sender:{address}")
        if refusal is not None:
            return refusal
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        refusal = self._server.refusal_for(address)
        if refusal is not None:
            return refusal
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        for address in envelope.rcpt_tos:
            refusal = self._server.refusal_for(f"data:{address}")
            if refusal is not None:
                return refusal
        if self._server.data_delay:
            await asyncio.sleep(self._server.data_delay)
        content = envelope.original_content or envelope.content or b""
        if isinstance(content, str):
            content = content.encode("utf-8")
        parsed = BytesParser(policy=policy.default).parsebytes(content)
        assert isinstance(parsed, EmailMessage)
        self._server.record(
            ReceivedMail(parsed, str(envelope.mail_from), [str(r) for r in envelope.rcpt_tos])
        )
        return "250 2.0.0 Message accepted for delivery"


class _CountingController(Controller):
    """Binds port 0 and counts one SMTP protocol instance per TCP connection."""

    def __init__(self, owner: CapturingSMTPServer, **kwargs: Any) -> None:
        super().__init__(_Handler(owner), **kwargs)
        self._owner = owner

    def factory(self) -> SMTP:
        self._owner.connection_opened()
        return super().factory()

    def _trigger_server(self) -> None:
        # Learn the port the OS chose, then let aiosmtpd make its readiness probe.
        assert self.server is not None
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


class CapturingSMTPServer:
    def __init__(self, host: str = "127.0.0.1", server_hostname: str = "smtp.test.invalid"):
        self.host = host
        self.port = 0
        self.messages: list[ReceivedMail] = []
        self.connections = 0
        self.data_delay = 0.0  # seconds before answering DATA (a slow or hung server)
        self._server_hostname = server_hostname
        self._refused: dict[str, str] = {}
        self._lock = threading.Lock()
        self._controller: _CountingController | None = None

    # -- lifecycle ---------------------------------------------------------------------

    def start(self) -> CapturingSMTPServer:
        controller = _CountingController(
            self,
            hostname=self.host,
            port=0,
            server_hostname=self._server_hostname,  # skips a slow socket.getfqdn()
            ready_timeout=10.0,
        )
        controller.start()
        self._controller = controller
        self.port = controller.port
        with self._lock:
            self.connections = 0  # forget aiosmtpd's own readiness probe
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def __enter__(self) -> CapturingSMTPServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def app_config(self) -> dict:
        """The app settings that send email through this server."""
        return {"EMAIL_GATEWAY": "smtp", "MAIL_SERVER": self.host, "MAIL_PORT": self.port}

    # -- test hooks --------------------------------------------------------------------

    def refuse(self, address: str, code: int = 550, text: str = "5.1.1 No such user") -> None:
        """RCPT TO:<address> gets `code text` (5xx: permanent, 4xx: try again later)."""
        with self._lock:
            self._refused[address.lower()] = f"{code} {text}"

    def refuse_sender(self, address: str, code: int = 553, text: str = "5.7.1 Sender refused"):
        """MAIL FROM:<address> gets `code text` (the relay will not take our sender)."""
        with self._lock:
            self._refused[f"sender:{address}".lower()] = f"{code} {text}"

    def refuse_data(self, address: str, code: int = 554, text: str = "5.7.1 Message rejected"):
        """DATA for a message to `address` gets `code text` (the server will not take the text)."""
        with self._lock:
            self._refused[f"data:{address}".lower()] = f"{code} {text}"

    def accept(self, address: str) -> None:
        with self._lock:
            self._refused.pop(address.lower(), None)

    def clear(self) -> None:
        with self._lock:
            self.messages.clear()
            self._refused.clear()
            self.connections = 0

    def wait_for(self, count: int, timeout: float = 5.0) -> list[ReceivedMail]:
        deadline = time.monotonic() + timeout
        while len(self.messages) < count:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{len(self.messages)} of {count} messages arrived")
            time.sleep(0.01)
        return list(self.messages)

    def to(self, address: str) -> list[ReceivedMail]:
        with self._lock:
            return [m for m in self.messages if address.lower() in map(str.lower, m.rcpt_tos)]

    # -- called from the server thread -------------------------------------------------

    def refusal_for(self, address: str) -> str | None:
        with self._lock:
            return self._refused.get(address.lower())

    def record(self, mail: ReceivedMail) -> None:
        with self._lock:
            self.messages.append(mail)

    def connection_opened(self) -> None:
        with self._lock:
            self.connections += 1
