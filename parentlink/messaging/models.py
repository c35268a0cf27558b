"""The outbox: one row per SMS or email, with its state machine and every delivery event."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from parentlink.core.clock import now
from parentlink.core.states import InvalidTransition, check_transition
from parentlink.db import db
from parentlink.directory.models import Channel

LINK_PLACEHOLDER = "[[link]]"  # stands for the personal link until the moment of sending


class MessageKind(enum.Enum):
    INVITE = "invite"
    REMINDER_1 = "reminder-1"
    REMINDER_2 = "reminder-2"
    REMINDER_3 = "reminder-3"
    RECEIPT = "receipt"
    NEW_LINK = "new-link"
    CONCERN_ACK = "concern-ack"
    DSL_ALERT = "dsl-alert"
    CONCERN_ESCALATION = "concern-escalation"
    CONCERN_DIGEST = "concern-digest"
    ROUND_NOTICE = "round-notice"
    TEST = "test"  # "send a test SMS / email to me" on the settings page
    STAFF_INVITE = "staff-invite"  # a new staff member's link to choose a password
    QUESTION_REPLY = "question-reply"  # the office's answer to a parent's question
    HELP_REPLY = "help-reply"  # the answer to a texted HELP, when it cannot go in the reply


class MessageStatus(enum.Enum):
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    DELIVERED = "delivered"
    UNDELIVERED = "undelivered"
    FAILED = "failed"
    BOUNCED = "bounced"


_S = MessageStatus
# The one table of allowed moves. A status never goes backwards: the only way "back" is
# sending -> queued, which means "this attempt did not reach the provider, try again".
MESSAGE_TRANSITIONS = {
    # queued -> sent: an attempt given up for lost (its lease expired) turned out to have
    # reached the provider after all.
    _S.QUEUED: frozenset({_S.SENDING, _S.SENT, _S.FAILED}),
    # From sending: accepted, refused for good, back to the queue for a retry, or a
    # delivery report that overtook the dispatcher's own record of the acceptance.
    _S.SENDING: frozenset(
        {_S.QUEUED, _S.SENT, _S.FAILED, _S.DELIVERED, _S.UNDELIVERED, _S.BOUNCED}
    ),
    # sent -> queued: the provider took it and then reported it never left (GOV.UK Notify's
    # `technical-failure`, not charged): the one other way back, through `provider_dropped`.
    _S.SENT: frozenset({_S.DELIVERED, _S.UNDELIVERED, _S.FAILED, _S.BOUNCED, _S.QUEUED}),
    _S.DELIVERED: frozenset({_S.BOUNCED}),  # an email can bounce after the relay took it
}
FINAL = frozenset({_S.DELIVERED, _S.UNDELIVERED, _S.FAILED, _S.BOUNCED})
# Where a message stands along the way: a report for an earlier stage changes nothing.
_RANK = {_S.QUEUED: 0, _S.SENDING: 1, _S.SENT: 2, _S.DELIVERED: 3}
_RANK.update({s: 4 for s in (_S.UNDELIVERED, _S.FAILED, _S.BOUNCED)})

# Twilio's MessageStatus values and what they mean for us. Statuses not listed
# (accepted, scheduled, queued, sending, receiving, received) say nothing new.
TWILIO_STATUS = {
    "sent": _S.SENT,
    "delivered": _S.DELIVERED,
    "undelivered": _S.UNDELIVERED,
    "failed": _S.FAILED,
    "read": _S.DELIVERED,
}

# GOV.UK Notify's statuses (SMS and email). created / sending / pending say the provider
# has it and is still trying: our `sent`. `sent` is Notify's word for an international text
# that left without a delivery report: as far as anyone will know, delivered. The failures
# are handled in notify_receipts.py (technical-failure is sent again, not a final status).
NOTIFY_STATUS = {
    "created": _S.SENT,
    "sending": _S.SENT,
    "pending": _S.SENT,
    "sent": _S.DELIVERED,
    "delivered": _S.DELIVERED,
    "permanent-failure": _S.FAILED,
    "temporary-failure": _S.UNDELIVERED,
}


def message_ref(message_id: int, school_id: int) -> str:
    """Stable across attempts: the email Message-ID, so a resend after a crash is the same
    message to the receiving system, not a second one."""
    return f"<message-{message_id}.{school_id}@parentlink.invalid>"


class Message(db.Model):
    __tablename__ = "message"
    __table_args__ = (
        Index("ix_message_status_next_attempt_at", "status", "next_attempt_at"),
        Index("ix_message_status_lease_until", "status", "lease_until"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    kind: Mapped[MessageKind]
    channel: Mapped[Channel]
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contact.id"), index=True)
    invitation_id: Mapped[int | None] = mapped_column(ForeignKey("invitation.id"), index=True)
    # Set on a message that replaces one which failed for good on the other channel.
    fallback_for_id: Mapped[int | None] = mapped_column(ForeignKey("message.id"), index=True)
    to_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str | None] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    html_body: Mapped[str | None] = mapped_column(Text)
    segments: Mapped[int | None]  # SMS only: what the provider will bill for
    # The personal link's token lives here only until a gateway accepts the message.
    link_token: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[MessageStatus] = mapped_column(default=MessageStatus.QUEUED)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime]
    claimed_at: Mapped[datetime | None]  # when the current (or last) attempt began
    lease_until: Mapped[datetime | None]
    provider_id: Mapped[str | None] = mapped_column(String(64), index=True)
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=now)
    sent_at: Mapped[datetime | None]
    final_at: Mapped[datetime | None]

    events: Mapped[list[DeliveryEvent]] = relationship(
        back_populates="message", order_by="DeliveryEvent.id", cascade="all, delete-orphan"
    )

    @property
    def is_final(self) -> bool:
        return self.status in FINAL

    @property
    def message_ref(self) -> str:
        return message_ref(self.id, self.school_id)

    # -- the transitions: every status change of a message goes through these ----------

    def _move(self, target: MessageStatus, at: datetime) -> None:
        check_transition(self.status, target, MESSAGE_TRANSITIONS)
        self.status = target
        if target in FINAL:
            self.final_at = at
            self.lease_until = None
            self.link_token = None

    def note(
        self,
        at: datetime,
        source: str,
        status: str,
        *,
        error_code: str | None = None,
        detail: str | None = None,
        applied: bool = True,
    ) -> DeliveryEvent:
        """Keep an event, whether or not it changed anything."""
        event = DeliveryEvent(
            message_id=self.id,
            at=at,
            source=source,
            status=status[:32],
            error_code=error_code,
            detail=detail[:500] if detail else None,
            applied=applied,
        )
        db.session.add(event)
        return event

    @classmethod
    def claim_values(cls, at: datetime, lease_until: datetime) -> dict:
        """The columns a claim sets (the dispatcher claims a batch in one UPDATE)."""
        check_transition(MessageStatus.QUEUED, MessageStatus.SENDING, MESSAGE_TRANSITIONS)
        return {
            "status": MessageStatus.SENDING,
            "attempts": cls.attempts + 1,
            "claimed_at": at,
            "lease_until": lease_until,
        }

    @staticmethod
    def accepted_values(at: datetime, provider_id: str) -> dict:
        """The columns `accepted` sets on a message we hold (for recording a batch at once)."""
        check_transition(MessageStatus.SENDING, MessageStatus.SENT, MESSAGE_TRANSITIONS)
        return {
            "status": MessageStatus.SENT,
            "provider_id": provider_id,
            "sent_at": at,
            "lease_until": None,
            "link_token": None,
            "last_error": None,
        }

    def claim(self, at: datetime, lease_until: datetime) -> None:
        self._move(MessageStatus.SENDING, at)
        self.attempts += 1
        self.claimed_at = at
        self.lease_until = lease_until

    def extend_lease(self, lease_until: datetime) -> None:
        if self.status is not MessageStatus.SENDING:
            raise InvalidTransition(f"only a message being sent has a lease ({self.status})")
        self.lease_until = lease_until

    def accepted(self, at: datetime, provider_id: str) -> None:
        """The provider took it. A delivery report may have got here first: then the
        status stays where the report put it, with its reason (a failure's last error),
        and only the provider id is filled in."""
        if self.status in (MessageStatus.QUEUED, MessageStatus.SENDING):
            self._move(MessageStatus.SENT, at)
        if self.status in (MessageStatus.SENT, MessageStatus.DELIVERED):
            self.last_error = None  # an earlier attempt's, now beside the point
        self.provider_id = self.provider_id or provider_id
        self.sent_at = self.sent_at or at
        self.lease_until = None
        self.link_token = None

    def retry_at(self, at: datetime, when: datetime, reason: str) -> None:
        self._move(MessageStatus.QUEUED, at)
        self.next_attempt_at = when
        self.lease_until = None
        self.last_error = reason[:500]

    def fail(self, at: datetime, reason: str) -> None:
        self._move(MessageStatus.FAILED, at)
        self.last_error = reason[:500]

    def bounced(self, at: datetime, reason: str) -> None:
        """The receiving mail system refused it, at once or in a later report (DSN)."""
        self._move(MessageStatus.BOUNCED, at)
        self.last_error = reason[:500]

    def provider_dropped(self, at: datetime, when: datetime, reason: str) -> None:
        """The provider took it, then reported that it never left (nothing was delivered
        or charged): queue it to be sent again at `when`, as a new attempt."""
        if self.status is not MessageStatus.SENT:
            raise InvalidTransition(f"only a sent message can be dropped ({self.status})")
        self._move(MessageStatus.QUEUED, at)
        self.provider_id = None
        self.sent_at = None
        self.next_attempt_at = when
        self.last_error = reason[:500]

    def apply_provider_status(
        self, status: MessageStatus, at: datetime, reason: str | None = None
    ) -> bool:
        """Move forward on a delivery report; a late or repeated one changes nothing."""
        if _RANK[status] <= _RANK[self.status]:
            return False
        if status not in MESSAGE_TRANSITIONS.get(self.status, ()):
            return False
        self._move(status, at)
        if status in FINAL and status is not MessageStatus.DELIVERED and reason:
            self.last_error = reason[:500]
        return True


class DeliveryEvent(db.Model):
    """Everything a provider told us about a message, kept even when it changes nothing."""

    __tablename__ = "delivery_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(
        ForeignKey("message.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(default=now)
    source: Mapped[str] = mapped_column(String(20))  # "dispatcher", "twilio", "smtp"
    status: Mapped[str] = mapped_column(String(32))
    error_code: Mapped[str | None] = mapped_column(String(20))
    detail: Mapped[str | None] = mapped_column(String(500))
    applied: Mapped[bool] = mapped_column(default=True)

    message: Mapped[Message] = relationship(back_populates="events")


class RateBucket(db.Model):
    """The token bucket of one channel, shared by every dispatcher process (pacing.py)."""

    __tablename__ = "rate_bucket"

    key: Mapped[str] = mapped_column(String(32), primary_key=True)  # "sms", "email"
    tokens: Mapped[float]  # left at `stamp`; negative: reserved ahead of time
    stamp: Mapped[float]  # seconds since the epoch, on the database's clock
    # The share of the configured rate in use: cut when the provider answers 429, grown back
    # a little with every token taken (pacing.py).
    factor: Mapped[float] = mapped_column(default=1.0, server_default="1")


class InboundKeyword(enum.Enum):
    STOP = "stop"
    START = "start"
    HELP = "help"


class InboundMessage(db.Model):
    """An SMS a parent sent us. Keywords act on the contact; other text waits for the office."""

    __tablename__ = "inbound_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int | None] = mapped_column(ForeignKey("school.id"), index=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contact.id"), index=True)
    provider_id: Mapped[str] = mapped_column(String(64), unique=True)
    from_number: Mapped[str] = mapped_column(String(32))
    to_number: Mapped[str] = mapped_column(String(32))
    body: Mapped[str] = mapped_column(Text)
    keyword: Mapped[InboundKeyword | None]
    received_at: Mapped[datetime] = mapped_column(default=now)
    read_at: Mapped[datetime | None]  # when someone in the office read it

    def mark_read(self, at: datetime) -> None:
        """Once read, always read: the first reading time is kept."""
        self.read_at = self.read_at or at
