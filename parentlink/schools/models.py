"""The school (the tenant), its terms and the days it is closed."""

from __future__ import annotations

import enum
from datetime import date, datetime, time
from decimal import Decimal

from sqlalchemy import ForeignKey, LargeBinary, Numeric, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from parentlink.core.clock import now
from parentlink.db import db


class Phase(enum.Enum):
    PRIMARY = "primary"  # Nursery, Reception, Years 1-6
    SECONDARY = "secondary"  # Years 7-13
    ALL_THROUGH = "all-through"

    @property
    def year_groups(self) -> tuple[str, ...]:
        primary = ("Nursery", "Reception", *(f"Year {n}" for n in range(1, 7)))
        secondary = tuple(f"Year {n}" for n in range(7, 14))
        if self is Phase.PRIMARY:
            return primary
        if self is Phase.SECONDARY:
            return secondary
        return primary + secondary


class School(db.Model):
    __tablename__ = "school"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    short_name: Mapped[str] = mapped_column(String(60))  # used in SMS: "Coates Lane Primary"
    office_phone: Mapped[str | None] = mapped_column(String(32))
    office_email: Mapped[str | None] = mapped_column(String(254))
    # Family messages (invitation, reminders, receipt, new link, concern acknowledgement) in
    # each contact's language; off: in English.
    messages_in_family_language: Mapped[bool] = mapped_column(default=False, server_default=false())
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/London")
    sending_window_start: Mapped[time] = mapped_column(default=time(8, 0))
    sending_window_end: Mapped[time] = mapped_column(default=time(20, 0))
    # Termly rounds: which school day of each term a round starts on, how many days
    # before the office hears about it, and how many days families have to answer.
    round_school_day: Mapped[int] = mapped_column(default=5)
    round_notice_days: Mapped[int] = mapped_column(default=5)
    round_open_days: Mapped[int] = mapped_column(default=21)
    # Safeguarding alerts: an SMS number for the DSL's alert (optional), who hears when a
    # concern is not acknowledged (deputy DSL, head: comma-separated emails), and after how
    # many school days.
    dsl_alert_mobile: Mapped[str | None] = mapped_column(String(20))
    escalation_emails: Mapped[str | None] = mapped_column(String(500))
    concern_escalation_school_days: Mapped[int] = mapped_column(default=1)
    sms_segment_limit: Mapped[int] = mapped_column(default=2)  # launch refused above it
    # Set in the office's settings page; None means the deployment's setting
    # (PARENTLINK_TWILIO_FROM, PARENTLINK_SMS_PRICE_PER_SEGMENT): see schools/sending.py.
    sms_sender: Mapped[str | None] = mapped_column(String(34))
    sms_price_pence: Mapped[Decimal | None] = mapped_column(Numeric(8, 3))
    allow_international_mobiles: Mapped[bool] = mapped_column(default=False)
    # When GOV.UK Notify sends the texts: the service's free text messages a year and the
    # price of each beyond them. None: Notify's published figures (schools/sending.py).
    notify_free_allowance: Mapped[int | None]
    notify_price_pence: Mapped[Decimal | None] = mapped_column(Numeric(8, 3))
    # Which year groups the school teaches: an import warns about a pupil outside them.
    phase: Mapped[Phase] = mapped_column(default=Phase.PRIMARY)
    # An optional logo (schools/logo.py): a small PNG re-encoded by us, its SHA-256 naming
    # the version (the URL and the ETag). The bytes load only when asked for.
    logo: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    logo_type: Mapped[str | None] = mapped_column(String(16))
    logo_sha256: Mapped[str | None] = mapped_column(String(64))
    logo_width: Mapped[int | None]
    logo_height: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=now)

    terms: Mapped[list[Term]] = relationship(back_populates="school", order_by="Term.starts_on")


class Term(db.Model):
    __tablename__ = "term"
    __table_args__ = (UniqueConstraint("school_id", "starts_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    name: Mapped[str] = mapped_column(String(60))  # "Autumn 2026"
    starts_on: Mapped[date]
    ends_on: Mapped[date]

    school: Mapped[School] = relationship(back_populates="terms")


class Closure(db.Model):
    """Days inside a term when the school is closed: half-terms, INSET days, bank holidays."""

    __tablename__ = "closure"

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    name: Mapped[str] = mapped_column(String(60))
    starts_on: Mapped[date]
    ends_on: Mapped[date]
