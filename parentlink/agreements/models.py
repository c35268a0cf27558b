"""Agreements, their versions (frozen and hashed when published) and clauses."""

from __future__ import annotations

import enum
import hashlib
import json
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from parentlink.core.clock import now
from parentlink.core.states import check_transition
from parentlink.db import db


class Audience(enum.Enum):
    PARENTS_CARERS = "parents-carers"
    STAFF = "staff"
    GOVERNORS = "governors"


class VersionStatus(enum.Enum):
    DRAFT = "draft"
    PUBLISHED = "published"
    RETIRED = "retired"


VERSION_TRANSITIONS = {
    VersionStatus.DRAFT: frozenset({VersionStatus.PUBLISHED}),
    VersionStatus.PUBLISHED: frozenset({VersionStatus.RETIRED}),
}


class VersionFrozen(Exception):
    """A published version cannot change: publish a new one."""


class Agreement(db.Model):
    __tablename__ = "agreement"
    __table_args__ = (UniqueConstraint("school_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    key: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200))

    versions: Mapped[list[AgreementVersion]] = relationship(
        back_populates="agreement", order_by="AgreementVersion.id"
    )


class AgreementVersion(db.Model):
    __tablename__ = "agreement_version"
    __table_args__ = (UniqueConstraint("agreement_id", "label"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreement.id"), index=True)
    label: Mapped[str] = mapped_column(String(20))  # "1.0"
    introduction: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[VersionStatus] = mapped_column(default=VersionStatus.DRAFT)
    is_major: Mapped[bool] = mapped_column(default=True)
    sha256: Mapped[str | None] = mapped_column(String(64))
    published_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=now)
    # Goes up each time a translation of its clauses is loaded (not part of the hash: the
    # English is binding); pages kept per process are keyed by it.
    translations_revision: Mapped[int] = mapped_column(default=0, server_default="0")

    agreement: Mapped[Agreement] = relationship(back_populates="versions")
    clauses: Mapped[list[Clause]] = relationship(
        back_populates="version", order_by="Clause.position", cascade="all, delete-orphan"
    )

    def canonical_form(self) -> bytes:
        """What the hash covers: everything a parent is asked to agree to, in order."""
        document = {
            "agreement": self.agreement.key,
            "title": self.agreement.title,
            "label": self.label,
            "introduction": self.introduction,
            "clauses": [clause.canonical() for clause in self.clauses],
        }
        return json.dumps(
            document, ensure_ascii=False, sort_keys=True, separators=(",", ":")
        ).encode("utf-8")

    def compute_sha256(self) -> str:
        return hashlib.sha256(self.canonical_form()).hexdigest()

    def publish(self, at: datetime) -> None:
        check_transition(self.status, VersionStatus.PUBLISHED, VERSION_TRANSITIONS)
        self.status = VersionStatus.PUBLISHED
        self.published_at = at
        self.sha256 = self.compute_sha256()

    def retire(self) -> None:
        check_transition(self.status, VersionStatus.RETIRED, VERSION_TRANSITIONS)
        self.status = VersionStatus.RETIRED

    def clauses_for(self, audience: Audience) -> list[Clause]:
        return [clause for clause in self.clauses if audience in clause.audiences]

    def ensure_editable(self) -> None:
        if self.status is not VersionStatus.DRAFT:
            raise VersionFrozen(f"version {self.label} is {self.status.value} and cannot change")


class Clause(db.Model):
    __tablename__ = "clause"
    __table_args__ = (UniqueConstraint("version_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(
        ForeignKey("agreement_version.id", ondelete="CASCADE"), index=True
    )
    key: Mapped[str] = mapped_column(String(80))  # stable across versions
    position: Mapped[int]
    section: Mapped[str] = mapped_column(String(120))
    summary: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    audience_list: Mapped[str] = mapped_column(String(120))  # "governors,parents-carers,staff"
    # Parent clauses with the same point number are shown to parents as one point, under the
    # summary of the first of them; None: a point of its own.
    point: Mapped[int | None]

    version: Mapped[AgreementVersion] = relationship(back_populates="clauses")

    @property
    def audiences(self) -> frozenset[Audience]:
        return frozenset(Audience(value) for value in self.audience_list.split(",") if value)

    @audiences.setter
    def audiences(self, values: set[Audience] | frozenset[Audience]) -> None:
        if not values:
            raise ValueError("a clause needs at least one audience")
        self.audience_list = ",".join(sorted(Audience(v).value for v in values))

    @property
    def for_parents(self) -> bool:
        return Audience.PARENTS_CARERS in self.audiences

    def canonical(self) -> dict:
        document = {
            "key": self.key,
            "section": self.section,
            "summary": self.summary,
            "body": self.body,
            "audiences": sorted(a.value for a in self.audiences),
        }
        if self.point is not None:  # how parents see it is part of what they agree to;
            document["point"] = self.point  # absent before points, so old hashes still hold
        return document


class ClauseTranslation(db.Model):
    """A school's translation of one clause for parents. Not part of the version's hash: the
    English wording is the binding one, and a translation can be added after publishing."""

    __tablename__ = "clause_translation"
    __table_args__ = (UniqueConstraint("clause_id", "language"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    clause_id: Mapped[int] = mapped_column(ForeignKey("clause.id", ondelete="CASCADE"))
    language: Mapped[str] = mapped_column(String(10))
    summary: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=now)
    made_by: Mapped[str] = mapped_column(String(200), default="", server_default="")
    reviewed_at: Mapped[datetime | None]
    reviewed_by: Mapped[str | None] = mapped_column(String(120))

    clause: Mapped[Clause] = relationship()

    @property
    def reviewed(self) -> bool:
        return self.reviewed_at is not None
