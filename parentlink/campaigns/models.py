"""Campaigns (one round of asking), invitations (one contact, one link) and confirmations."""

from __future__ import annotations

import enum
from datetime import datetime, timedelta

from sqlalchemy import Column, ForeignKey, Index, String, Table, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from parentlink.core.clock import now
from parentlink.core.states import check_transition
from parentlink.db import db
from parentlink.directory.models import Contact, Pupil


class CampaignStatus(enum.Enum):
    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"


CAMPAIGN_TRANSITIONS = {
    CampaignStatus.DRAFT: frozenset({CampaignStatus.OPEN}),
    CampaignStatus.OPEN: frozenset({CampaignStatus.CLOSED}),
}


class AudienceKind(enum.Enum):
    WHOLE_SCHOOL = "whole-school"
    YEAR_GROUPS = "year-groups"
    CLASSES = "classes"
    NEW_STARTERS = "new-starters"
    NOT_CONFIRMED = "not-confirmed"  # new starters and anyone not covered by this version


class CompletionRule(enum.Enum):
    ANY_CARER = "any-carer"  # any one carer with parental responsibility
    EVERY_CARER = "every-carer"  # every carer with parental responsibility


class Campaign(db.Model):
    __tablename__ = "campaign"

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("agreement_version.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[CampaignStatus] = mapped_column(default=CampaignStatus.DRAFT)
    audience_kind: Mapped[AudienceKind] = mapped_column(default=AudienceKind.WHOLE_SCHOOL)
    audience_values: Mapped[str] = mapped_column(String(500), default="")  # "Year 3,Year 4"
    completion_rule: Mapped[CompletionRule] = mapped_column(default=CompletionRule.ANY_CARER)
    reminder_policy: Mapped[str] = mapped_column(String(200), default="3:same,7:other,10:both")
    priority_lead_days: Mapped[int] = mapped_column(default=0)  # others are chased later
    opens_at: Mapped[datetime]
    closes_at: Mapped[datetime]
    launched_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=now)

    version = relationship("AgreementVersion")
    school = relationship("School")

    def launch(self, at: datetime) -> None:
        check_transition(self.status, CampaignStatus.OPEN, CAMPAIGN_TRANSITIONS)
        self.status = CampaignStatus.OPEN
        self.launched_at = at

    def close(self, at: datetime) -> None:
        check_transition(self.status, CampaignStatus.CLOSED, CAMPAIGN_TRANSITIONS)
        self.status = CampaignStatus.CLOSED
        self.closed_at = at


class InvitationStatus(enum.Enum):
    CREATED = "created"  # link made, message not yet accepted by a gateway
    SENT = "sent"
    OPENED = "opened"
    CONFIRMED = "confirmed"
    WITHDRAWN = "withdrawn"
    REVOKED = "revoked"


_PROGRESS = (
    InvitationStatus.CREATED,
    InvitationStatus.SENT,
    InvitationStatus.OPENED,
    InvitationStatus.CONFIRMED,
)
INVITATION_TRANSITIONS = {
    **{
        state: frozenset(_PROGRESS[i + 1 :]) | {InvitationStatus.REVOKED}
        for i, state in enumerate(_PROGRESS)
    },
    # A carer who may no longer be contacted (court order, no parental responsibility,
    # link removed by the MIS) loses every link, answered or not (campaigns/restrictions.py).
    InvitationStatus.CONFIRMED: frozenset({InvitationStatus.WITHDRAWN, InvitationStatus.REVOKED}),
    InvitationStatus.WITHDRAWN: frozenset({InvitationStatus.CONFIRMED, InvitationStatus.REVOKED}),
}


invitation_pupil = Table(
    "invitation_pupil",
    db.Model.metadata,
    Column("invitation_id", ForeignKey("invitation.id", ondelete="CASCADE"), primary_key=True),
    Column("pupil_id", ForeignKey("pupil.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Invitation(db.Model):
    __tablename__ = "invitation"
    __table_args__ = (
        UniqueConstraint("campaign_id", "contact_id"),
        Index("ix_invitation_campaign_id_status", "campaign_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"))
    contact_id: Mapped[int] = mapped_column(ForeignKey("contact.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)  # SHA-256 of the token
    status: Mapped[InvitationStatus] = mapped_column(default=InvitationStatus.CREATED)
    created_at: Mapped[datetime] = mapped_column(default=now)
    sent_at: Mapped[datetime | None]
    opened_at: Mapped[datetime | None]
    confirmed_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    reminders_sent: Mapped[int] = mapped_column(default=0)
    last_reminded_at: Mapped[datetime | None]

    campaign: Mapped[Campaign] = relationship()
    contact: Mapped[Contact] = relationship()
    pupils: Mapped[list[Pupil]] = relationship(
        secondary=invitation_pupil, order_by="Pupil.first_name"
    )

    def _move(self, target: InvitationStatus) -> None:
        check_transition(self.status, target, INVITATION_TRANSITIONS)
        self.status = target

    def mark_sent(self, at: datetime) -> None:
        """A gateway accepted the link message. Later states already imply it."""
        self.sent_at = self.sent_at or at
        if self.status is InvitationStatus.CREATED:
            self._move(InvitationStatus.SENT)

    def mark_opened(self, at: datetime) -> None:
        self.opened_at = self.opened_at or at
        if self.status in (InvitationStatus.CREATED, InvitationStatus.SENT):
            self._move(InvitationStatus.OPENED)

    def mark_confirmed(self, at: datetime) -> None:
        self._move(InvitationStatus.CONFIRMED)
        self.confirmed_at = at

    def mark_withdrawn(self) -> None:
        self._move(InvitationStatus.WITHDRAWN)

    def revoke(self, at: datetime) -> None:
        self._move(InvitationStatus.REVOKED)
        self.revoked_at = at

    def usable_at(self, at: datetime, grace_days: int) -> bool:
        if self.status is InvitationStatus.REVOKED:
            return False
        return at <= self.campaign.closes_at + timedelta(days=grace_days)


class ConfirmationChannel(enum.Enum):
    LINK = "link"
    PAPER = "paper"
    PHONE = "phone"


class Answer(enum.Enum):
    AGREE = "agree"
    QUESTION = "question"


confirmation_pupil = Table(
    "confirmation_pupil",
    db.Model.metadata,
    Column("confirmation_id", ForeignKey("confirmation.id", ondelete="CASCADE"), primary_key=True),
    Column("pupil_id", ForeignKey("pupil.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Confirmation(db.Model):
    """The evidence: who confirmed which version (by hash), for which pupils, how and when."""

    __tablename__ = "confirmation"
    __table_args__ = (
        # At most one standing (not withdrawn) confirmation per invitation: a double submit
        # or two tabs can never record two.
        Index(
            "uq_confirmation_standing",
            "invitation_id",
            unique=True,
            sqlite_where=text("withdrawn_at IS NULL"),
            postgresql_where=text("withdrawn_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    invitation_id: Mapped[int] = mapped_column(ForeignKey("invitation.id"), index=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contact.id"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("agreement_version.id"))
    version_sha256: Mapped[str] = mapped_column(String(64))
    typed_name: Mapped[str] = mapped_column(String(200))
    confirmed_at: Mapped[datetime]
    ip_address: Mapped[str | None] = mapped_column(String(45))
    user_agent: Mapped[str | None] = mapped_column(String(500))
    language: Mapped[str] = mapped_column(String(10), default="en")
    channel: Mapped[ConfirmationChannel] = mapped_column(default=ConfirmationChannel.LINK)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    note: Mapped[str | None] = mapped_column(Text)
    withdrawn_at: Mapped[datetime | None]
    withdrawal_reason: Mapped[str | None] = mapped_column(Text)

    invitation: Mapped[Invitation] = relationship()
    version = relationship("AgreementVersion")
    pupils: Mapped[list[Pupil]] = relationship(
        secondary=confirmation_pupil, order_by="Pupil.first_name"
    )
    responses: Mapped[list[ClauseResponse]] = relationship(
        back_populates="confirmation", cascade="all, delete-orphan"
    )

    @property
    def has_questions(self) -> bool:
        """A confirmation with a question on any clause goes to the office's follow-up list."""
        return any(response.answer is Answer.QUESTION for response in self.responses)

    def withdraw(self, at: datetime, reason: str | None) -> None:
        if self.withdrawn_at is not None:
            raise ValueError("this confirmation is already withdrawn")
        self.withdrawn_at = at
        self.withdrawal_reason = reason


class FollowUp(enum.Enum):
    """Where a parent's question stands in the office (meaningful for questions only)."""

    OPEN = "open"  # waiting for the office
    ANSWERED = "answered"  # replied to, or answered by phone or in person
    WITH_DSL = "with-dsl"  # a safeguarding matter: passed to the safeguarding lead


FOLLOW_UP_TRANSITIONS = {
    FollowUp.OPEN: frozenset({FollowUp.ANSWERED, FollowUp.WITH_DSL}),
    FollowUp.WITH_DSL: frozenset({FollowUp.ANSWERED}),
}


class ClauseResponse(db.Model):
    __tablename__ = "clause_response"
    __table_args__ = (
        UniqueConstraint("confirmation_id", "clause_id"),
        Index("ix_clause_response_answer_follow_up", "answer", "follow_up"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    confirmation_id: Mapped[int] = mapped_column(
        ForeignKey("confirmation.id", ondelete="CASCADE"), index=True
    )
    clause_id: Mapped[int] = mapped_column(ForeignKey("clause.id"))
    answer: Mapped[Answer]
    question: Mapped[str | None] = mapped_column(Text)
    follow_up: Mapped[FollowUp] = mapped_column(default=FollowUp.OPEN, server_default="open")
    reply: Mapped[str | None] = mapped_column(Text)  # what the office wrote back, if anything
    answered_at: Mapped[datetime | None]
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    reply_message_id: Mapped[int | None] = mapped_column(ForeignKey("message.id"))
    passed_at: Mapped[datetime | None]  # when it went to the safeguarding lead

    confirmation: Mapped[Confirmation] = relationship(back_populates="responses")
    clause = relationship("Clause")

    @property
    def is_question(self) -> bool:
        return self.answer is Answer.QUESTION

    def answer_question(self, at: datetime, staff_id: int, reply: str | None) -> None:
        check_transition(self.follow_up, FollowUp.ANSWERED, FOLLOW_UP_TRANSITIONS)
        self.follow_up = FollowUp.ANSWERED
        self.answered_at = at
        self.answered_by_id = staff_id
        self.reply = reply

    def pass_to_dsl(self, at: datetime) -> None:
        check_transition(self.follow_up, FollowUp.WITH_DSL, FOLLOW_UP_TRANSITIONS)
        self.follow_up = FollowUp.WITH_DSL
        self.passed_at = at
