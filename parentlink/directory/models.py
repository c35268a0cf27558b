"""Pupils, contacts (parents and carers) and the links between them."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import ForeignKey, LargeBinary, String, Text, UniqueConstraint, and_, or_
from sqlalchemy.orm import Mapped, mapped_column, relationship

from parentlink.core.clock import now
from parentlink.db import db


class Channel(enum.Enum):
    SMS = "sms"
    EMAIL = "email"

    @property
    def other(self) -> Channel:
        return Channel.EMAIL if self is Channel.SMS else Channel.SMS


class Pupil(db.Model):
    __tablename__ = "pupil"
    __table_args__ = (UniqueConstraint("school_id", "mis_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    mis_id: Mapped[str] = mapped_column(String(64))
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    year_group: Mapped[str] = mapped_column(String(20))  # "Reception", "Year 1" … "Year 6"
    class_name: Mapped[str] = mapped_column(String(40))
    joined_on: Mapped[date | None]
    left_on: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(default=now)

    links: Mapped[list[PupilContact]] = relationship(back_populates="pupil")


class Contact(db.Model):
    __tablename__ = "contact"
    __table_args__ = (UniqueConstraint("school_id", "mis_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    mis_id: Mapped[str] = mapped_column(String(64))
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    mobile: Mapped[str | None] = mapped_column(String(20), index=True)  # E.164
    email: Mapped[str | None] = mapped_column(String(254), index=True)  # normalised
    preferred_channel: Mapped[Channel] = mapped_column(default=Channel.SMS)
    language: Mapped[str] = mapped_column(String(10), default="en")
    sms_opted_out: Mapped[bool] = mapped_column(default=False)
    # They reported our email as spam (an ARF complaint): no more email, as STOP for texts.
    email_complained: Mapped[bool] = mapped_column(default=False, server_default="0")
    details_flagged_at: Mapped[datetime | None]  # the office should check these details
    details_flag_reason: Mapped[str | None] = mapped_column(String(200))
    # The number or address that failed for good (refused as invalid or not a mobile, a hard
    # bounce): not used again until the MIS gives a different one (a fresh import).
    failed_mobile: Mapped[str | None] = mapped_column(String(20))
    failed_email: Mapped[str | None] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(default=now)

    links: Mapped[list[PupilContact]] = relationship(back_populates="contact")

    def address_for(self, channel: Channel) -> str | None:
        return address_for(self, channel)

    def best_channel(self) -> Channel | None:
        return best_channel(self)


# The rules as functions too, for a launch that reads thousands of contacts as plain rows
# (anything with the contact's columns as attributes).
def address_for(contact, channel: Channel) -> str | None:
    if channel is Channel.SMS:
        mobile = contact.mobile
        usable = mobile and not contact.sms_opted_out and mobile != contact.failed_mobile
        return mobile if usable else None
    email = contact.email
    usable = email and not contact.email_complained and email != contact.failed_email
    return email if usable else None


def can_text():
    """address_for(contact, Channel.SMS) in SQL, for counts and previews of many contacts."""
    return and_(
        Contact.mobile.is_not(None),
        Contact.mobile != "",
        Contact.sms_opted_out.is_(False),
        or_(Contact.failed_mobile.is_(None), Contact.failed_mobile != Contact.mobile),
    )


def can_email():
    """address_for(contact, Channel.EMAIL) in SQL."""
    return and_(
        Contact.email.is_not(None),
        Contact.email != "",
        Contact.email_complained.is_(False),
        or_(Contact.failed_email.is_(None), Contact.failed_email != Contact.email),
    )


# A failed message's flag on the carer's details names the detail (the contact column) that
# failed, so that a new one from the MIS can clear it (directory/writer.py).
FAILED_DETAIL = {
    Channel.SMS: ("mobile", "The mobile number failed"),
    Channel.EMAIL: ("email", "The email address failed"),
}


def failure_flag(channel: Channel, reason: str) -> str:
    """The flag's reason when a message on `channel` failed for `reason`."""
    return f"{FAILED_DETAIL[channel][1]}: {reason}"[:200]


def failed_detail(flag_reason: str) -> str | None:
    """The contact column a failure's flag is about ("mobile", "email"); None for the
    office's own note."""
    for column, words in FAILED_DETAIL.values():
        if flag_reason.startswith(words):
            return column
    return None


def best_channel(contact) -> Channel | None:
    """The preferred channel if it can be used, else the other one, else None."""
    for channel in (contact.preferred_channel, contact.preferred_channel.other):
        if address_for(contact, channel):
            return channel
    return None


class PupilContact(db.Model):
    __tablename__ = "pupil_contact"
    __table_args__ = (UniqueConstraint("pupil_id", "contact_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    pupil_id: Mapped[int] = mapped_column(ForeignKey("pupil.id", ondelete="CASCADE"))
    contact_id: Mapped[int] = mapped_column(
        ForeignKey("contact.id", ondelete="CASCADE"), index=True
    )
    relationship_label: Mapped[str] = mapped_column(String(40))  # "Mother", "Carer", …
    parental_responsibility: Mapped[bool] = mapped_column(default=True)
    court_order_restriction: Mapped[bool] = mapped_column(default=False)
    priority: Mapped[int] = mapped_column(default=1)

    pupil: Mapped[Pupil] = relationship(back_populates="links")
    contact: Mapped[Contact] = relationship(back_populates="links")

    @property
    def may_be_invited(self) -> bool:
        return self.parental_responsibility and not self.court_order_restriction


class ColumnMapping(db.Model):
    """How a school's MIS export names our columns, remembered after the first import."""

    __tablename__ = "import_column_mapping"

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), unique=True)
    mapping: Mapped[str] = mapped_column(Text)  # JSON: {our column: their header}
    updated_at: Mapped[datetime] = mapped_column(default=now)


class ImportUpload(db.Model):
    """An uploaded file waiting between its preview and its commit (the same bytes both times)."""

    __tablename__ = "import_upload"

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    filename: Mapped[str] = mapped_column(String(200))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    # The columns (JSON, as ColumnMapping) and sheet chosen for this file: the school's
    # remembered mapping changes only when the import succeeds.
    mapping: Mapped[str | None] = mapped_column(Text)
    sheet: Mapped[str | None] = mapped_column(String(100))
    identity_choices: Mapped[str | None] = mapped_column(Text)  # JSON: identity.assign
    created_at: Mapped[datetime] = mapped_column(default=now)
    committed_at: Mapped[datetime | None]
