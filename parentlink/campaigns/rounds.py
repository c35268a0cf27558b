"""Termly rounds: each term's round of asking starts by itself.

On a set school day of each term (the school's `round_school_day`, default the 5th) a round
starts: in the autumn term everyone confirms the current version (a new school year); in spring
and summer, new starters and anyone not yet covered by the current version. The office is told
`round_notice_days` before and can pause, move or skip a round. Publishing a new major version
(one that replaces another) starts a round for everyone on the next school day.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from flask import current_app
from sqlalchemy import ForeignKey, Index, String, exists, select, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from parentlink.agreements.models import AgreementVersion
from parentlink.agreements.services import current_version
from parentlink.campaigns.models import AudienceKind, Confirmation, confirmation_pupil
from parentlink.campaigns.services import launch_campaign
from parentlink.core.audit import record
from parentlink.core.clock import now
from parentlink.core.states import check_transition
from parentlink.db import db
from parentlink.directory.models import Channel, Pupil
from parentlink.messaging.models import MessageKind
from parentlink.messaging.outbox import enqueue, render
from parentlink.schools.calendar import SchoolCalendar
from parentlink.schools.models import School, Term


class RoundStatus(enum.Enum):
    PLANNED = "planned"
    NOTIFIED = "notified"
    PAUSED = "paused"
    STARTED = "started"
    SKIPPED = "skipped"


_R = RoundStatus
ROUND_TRANSITIONS = {
    _R.PLANNED: frozenset({_R.NOTIFIED, _R.PAUSED, _R.STARTED, _R.SKIPPED}),
    _R.NOTIFIED: frozenset({_R.PAUSED, _R.STARTED, _R.SKIPPED}),
    _R.PAUSED: frozenset({_R.PLANNED, _R.SKIPPED}),  # resumed: planned again
}


class RoundReason(enum.Enum):
    TERMLY = "termly"
    NEW_VERSION = "new-version"


class RoundError(ValueError):
    pass


class TermRound(db.Model):
    __tablename__ = "term_round"
    __table_args__ = (
        Index(
            "uq_term_round_termly",
            "term_id",
            unique=True,
            sqlite_where=text("reason = 'termly'"),
            postgresql_where=text("reason = 'termly'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    term_id: Mapped[int | None] = mapped_column(ForeignKey("term.id"))
    term_name: Mapped[str] = mapped_column(String(60))
    reason: Mapped[RoundReason]
    version_id: Mapped[int | None] = mapped_column(ForeignKey("agreement_version.id"))
    audience: Mapped[AudienceKind]
    starts_on: Mapped[date]
    status: Mapped[RoundStatus] = mapped_column(default=RoundStatus.PLANNED)
    notified_at: Mapped[datetime | None]
    started_at: Mapped[datetime | None]
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaign.id"))

    school: Mapped[School] = relationship()

    def move_to(self, target: RoundStatus) -> None:
        check_transition(self.status, target, ROUND_TRANSITIONS)
        self.status = target


@dataclass
class RoundCounts:
    planned: int = 0
    notified: int = 0
    started: int = 0
    skipped: int = 0


def run_rounds() -> RoundCounts:
    """The rounds job: plan, give notice, start. Safe to run any number of times a day."""
    counts = RoundCounts()
    at = now()
    for school in db.session.scalars(select(School).order_by(School.id)):
        calendar = SchoolCalendar(school)
        today = calendar.local(at).date()
        counts.planned += _plan(school, calendar, today)
        rounds = db.session.scalars(
            select(TermRound)
            .where(
                TermRound.school_id == school.id,
                TermRound.status.in_((RoundStatus.PLANNED, RoundStatus.NOTIFIED)),
            )
            .order_by(TermRound.starts_on)
        ).all()
        for term_round in rounds:
            notice_from = term_round.starts_on - timedelta(days=school.round_notice_days)
            if term_round.status is RoundStatus.PLANNED and today >= notice_from:
                _notify(term_round, at)
                counts.notified += 1
            if today >= term_round.starts_on and calendar.is_school_day(today):
                if _start(term_round, calendar, at):
                    counts.started += 1
                else:
                    counts.skipped += 1
    return counts


def _plan(school: School, calendar: SchoolCalendar, today: date) -> int:
    planned = 0
    terms = db.session.scalars(
        select(Term).where(
            Term.school_id == school.id,
            Term.ends_on >= today,
            Term.starts_on <= today + timedelta(days=60),
        )
    ).all()
    for term in terms:
        if db.session.scalar(
            select(TermRound.id).where(
                TermRound.term_id == term.id, TermRound.reason == RoundReason.TERMLY
            )
        ):
            continue
        starts_on = calendar.add_school_days(
            term.starts_on - timedelta(days=1), school.round_school_day
        )
        starts_on = min(starts_on, term.ends_on)
        autumn = term.starts_on.month in (8, 9, 10)
        db.session.add(
            TermRound(
                school_id=school.id,
                term_id=term.id,
                term_name=term.name,
                reason=RoundReason.TERMLY,
                starts_on=starts_on,
                audience=AudienceKind.WHOLE_SCHOOL if autumn else AudienceKind.NOT_CONFIRMED,
                # A term already past its round day when first seen (ParentLink installed
                # mid-term) does not start late by itself: the office launches by hand.
                status=RoundStatus.SKIPPED if starts_on < today else RoundStatus.PLANNED,
            )
        )
        planned += 1
    version = current_version(school.id)
    if version is not None and version.is_major and _replaces_another(version):
        already = db.session.scalar(
            select(TermRound.id).where(
                TermRound.version_id == version.id, TermRound.reason == RoundReason.NEW_VERSION
            )
        )
        if already is None:
            term = calendar.term_of(today)
            db.session.add(
                TermRound(
                    school_id=school.id,
                    term_id=None,
                    term_name=term.name if term else "New version",
                    reason=RoundReason.NEW_VERSION,
                    version_id=version.id,
                    audience=AudienceKind.WHOLE_SCHOOL,
                    starts_on=calendar.add_school_days(today, 1),
                )
            )
            planned += 1
    db.session.flush()
    return planned


def _replaces_another(version: AgreementVersion) -> bool:
    return any(v.id != version.id and v.published_at for v in version.agreement.versions)


def _audience_text(term_round: TermRound) -> str:
    if term_round.audience is AudienceKind.WHOLE_SCHOOL:
        return "every family (each carer with parental responsibility)"
    return "new starters, and families who have not yet confirmed the current version"


def _notify(term_round: TermRound, at: datetime) -> None:
    school = term_round.school
    term_round.move_to(RoundStatus.NOTIFIED)
    term_round.notified_at = at
    if school.office_email:
        enqueue(
            school_id=school.id,
            kind=MessageKind.ROUND_NOTICE,
            channel=Channel.EMAIL,
            to=school.office_email,
            rendered=render(
                MessageKind.ROUND_NOTICE,
                Channel.EMAIL,
                school=school,
                round=term_round,
                audience_text=_audience_text(term_round),
                link=f"{current_app.config['PUBLIC_URL']}/office/rounds",
            ),
        )
    record(
        "round.notice",
        actor="system:jobs",
        school_id=school.id,
        subject=f"round:{term_round.id}",
        starts_on=term_round.starts_on,
    )


def _start(term_round: TermRound, calendar: SchoolCalendar, at: datetime) -> bool:
    school = term_round.school
    version = current_version(school.id)
    if version is None:
        term_round.move_to(RoundStatus.SKIPPED)
        record(
            "round.skipped",
            actor="system:jobs",
            school_id=school.id,
            subject=f"round:{term_round.id}",
            why="no published agreement",
        )
        return False
    pupils_wanted = None
    if term_round.audience is AudienceKind.NOT_CONFIRMED:
        pupils_wanted = not_covered_by(version.id, school.id)
    closes_on = calendar.local(at).date() + timedelta(days=school.round_open_days)
    summary = launch_campaign(
        school,
        version,
        name=f"{term_round.term_name}: social media agreement",
        closes_at=datetime.combine(closes_on, time(23, 59), calendar.zone),
        actor="system:jobs",
        audience=term_round.audience,
        pupils_wanted=pupils_wanted,
        # A new term's round asks again whoever it is for (its audience says who): a link
        # from last term's campaign, even one still open, is not what this term asks with.
        ask_again=True,
    )
    term_round.move_to(RoundStatus.STARTED)
    term_round.started_at = at
    term_round.campaign_id = summary.campaign.id
    return True


def not_covered_by(version_id: int, school_id: int):
    """Ids of current pupils that no standing confirmation of this version covers."""
    covered = (
        select(1)
        .select_from(confirmation_pupil)
        .join(Confirmation, Confirmation.id == confirmation_pupil.c.confirmation_id)
        .where(
            confirmation_pupil.c.pupil_id == Pupil.id,
            Confirmation.version_id == version_id,
            Confirmation.withdrawn_at.is_(None),
        )
    )
    return select(Pupil.id).where(
        Pupil.school_id == school_id, Pupil.left_on.is_(None), ~exists(covered)
    )


def pause(round_id: int, *, actor: str) -> TermRound:
    term_round = _get(round_id)
    term_round.move_to(RoundStatus.PAUSED)
    record("round.pause", actor=actor, school_id=term_round.school_id, subject=f"round:{round_id}")
    return term_round


def resume(round_id: int, *, actor: str) -> TermRound:
    term_round = _get(round_id)
    term_round.move_to(RoundStatus.PLANNED)
    record("round.resume", actor=actor, school_id=term_round.school_id, subject=f"round:{round_id}")
    return term_round


def move(round_id: int, starts_on: date, *, actor: str) -> TermRound:
    term_round = _get(round_id)
    if term_round.status in (RoundStatus.STARTED, RoundStatus.SKIPPED):
        raise RoundError(f"round {round_id} has already {term_round.status.value}")
    if starts_on < now().date():
        raise RoundError("a round cannot be moved into the past")
    term_round.starts_on = starts_on
    record(
        "round.move",
        actor=actor,
        school_id=term_round.school_id,
        subject=f"round:{round_id}",
        starts_on=starts_on,
    )
    return term_round


def skip(round_id: int, *, actor: str) -> TermRound:
    term_round = _get(round_id)
    term_round.move_to(RoundStatus.SKIPPED)
    record("round.skip", actor=actor, school_id=term_round.school_id, subject=f"round:{round_id}")
    return term_round


def _get(round_id: int) -> TermRound:
    term_round = db.session.get(TermRound, round_id)
    if term_round is None:
        raise RoundError(f"there is no round {round_id}")
    return term_round
