"""The one small interface every gateway implements.

`send(outgoing) -> SendResult`. Gateways never touch the database: the dispatcher gives
them an `Outgoing` (plain data) and records the `SendResult` they return.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol


class ProviderUnavailable(Exception):
    """The provider could not be asked (network, outage): try again later."""


class Outcome(enum.Enum):
    ACCEPTED = "accepted"  # the provider took it; provider_id says how to follow it
    RETRY = "retry"  # a passing fault (timeout, 429, 5xx): try again later
    PERMANENT = "permanent"  # it will never go to this address: say why (`bounce`: the
    # receiving server refused the recipient itself, which says the address is wrong)


@dataclass(frozen=True)
class Outgoing:
    message_id: int
    channel: str  # "sms" or "email"
    to: str  # E.164 for SMS, an address for email
    body: str  # SMS text, or the email's plain-text part
    subject: str | None = None
    html: str | None = None
    message_ref: str | None = None  # stable id: the email Message-ID, kept across retries
    status_callback: str | None = None  # absolute URL for delivery reports (SMS)
    return_path: str | None = None  # envelope sender for bounces (email; VERP address)
    sender: str | None = None  # SMS: the school's own sender, else the gateway's
    # email: pictures the HTML shows by Content-ID (the school's logo): (cid, type, bytes)
    images: tuple[tuple[str, str, bytes], ...] = ()


@dataclass(frozen=True)
class SendResult:
    outcome: Outcome
    provider_id: str | None = None
    provider_status: str | None = None
    reason: str | None = None
    error_code: str | None = None
    bounce: bool = False
    # refused for what was sent, not for the address: the other channel may still reach them
    other_channel: bool = False
    slow_down: bool = False  # the provider is refusing for our rate: the shared rate adapts
    extra: dict = field(default_factory=dict)

    @classmethod
    def accepted(cls, provider_id: str, provider_status: str = "sent") -> SendResult:
        return cls(Outcome.ACCEPTED, provider_id=provider_id, provider_status=provider_status)

    @classmethod
    def retry(cls, reason: str, error_code: str | None = None) -> SendResult:
        return cls(Outcome.RETRY, reason=reason, error_code=error_code)

    @classmethod
    def throttled(cls, reason: str, error_code: str | None = None) -> SendResult:
        """The provider asked us to slow down (HTTP 429): try again, and send slower."""
        return cls(Outcome.RETRY, reason=reason, error_code=error_code, slow_down=True)

    @classmethod
    def permanent(cls, reason: str, error_code: str | None = None) -> SendResult:
        return cls(Outcome.PERMANENT, reason=reason, error_code=error_code)

    @classmethod
    def refused_text(cls, reason: str, error_code: str | None = None) -> SendResult:
        return cls(Outcome.PERMANENT, reason=reason, error_code=error_code, other_channel=True)

    @classmethod
    def bounced(cls, reason: str, error_code: str | None = None) -> SendResult:
        return cls(
            Outcome.PERMANENT,
            provider_status="bounced",
            reason=reason,
            error_code=error_code,
            bounce=True,
        )


class Gateway(Protocol):
    channel: str

    def send(self, outgoing: Outgoing) -> SendResult: ...

    def send_batch(
        self, batch: list[Outgoing], pace: Callable[[], None] | None = None
    ) -> list[SendResult]:
        """Send several (calling `pace()` before each); may share one connection."""
        ...

    def find_accepted(self, outgoing: Outgoing, since: datetime) -> str | None:
        """The provider's id for this message if the provider already took it (sent at or
        after `since`), else None. Raises ProviderUnavailable if it cannot be asked."""
        ...


class OneRequestEach:
    """For a gateway whose provider takes one message per HTTP request (Twilio, Notify):
    a batch is its messages sent one after the other, each after `pace()`."""

    def send(self, outgoing: Outgoing) -> SendResult:  # pragma: no cover - the gateway's own
        raise NotImplementedError

    def send_batch(
        self, batch: list[Outgoing], pace: Callable[[], None] | None = None
    ) -> list[SendResult]:
        results = []
        for outgoing in batch:
            if pace is not None:
                pace()
            results.append(self.send(outgoing))
        return results
