"""Telling the safeguarding lead: at once, again to the deputy and the head if nobody has
acknowledged a concern within a school day, and a daily digest of open concerns by age.

Alerts never carry details: only that there is a concern, its reference and where to read it.
Each alert is recorded once (a unique row per concern and kind), so a job that runs twice
alerts nobody twice.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime

from flask import current_app
from sqlalchemy import ForeignKey, UniqueConstraint, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from parentlink.concerns.models import Concern, ConcernStatus
from parentlink.core.audit import record
from parentlink.core.clock import now
from parentlink.db import db
from parentlink.directory.models import Channel
from parentlink.messaging.models import MessageKind
from parentlink.messaging.outbox import enqueue, render
from parentlink.office.models import Role, StaffUser
from parentlink.schools.calendar import SchoolCalendar
from parentlink.schools.models import School


class AlertKind(enum.Enum):
    NEW = "new"
    ESCALATION = "escalation"


class ConcernAlert(db.Model):
    __tablename__ = "concern_alert"
    __table_args__ = (UniqueConstraint("concern_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    concern_id: Mapped[int] = mapped_column(ForeignKey("concern.id", ondelete="CASCADE"))
    kind: Mapped[AlertKind]
    at: Mapped[datetime]
    recipients: Mapped[int]


class ConcernDigest(db.Model):
    __tablename__ = "concern_digest"
    __table_args__ = (UniqueConstraint("school_id", "on_date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"))
    on_date: Mapped[date]
    open_concerns: Mapped[int]
    recipients: Mapped[int]


@dataclass
class AlertCounts:
    alerted: int = 0
    escalated: int = 0
    digests: int = 0


def _inbox_url() -> str:
    return f"{current_app.config['PUBLIC_URL']}/office/concerns/"


def _dsl_addresses(school_id: int) -> list[str]:
    return list(
        db.session.scalars(
            select(StaffUser.email)
            .where(
                StaffUser.school_id == school_id,
                StaffUser.role == Role.DSL,
                StaffUser.active.is_(True),
            )
            .order_by(StaffUser.id)
        )
    )


def _send(
    school: School, kind: MessageKind, emails: list[str], sms_to: str | None, **context
) -> int:
    context = {"school": school, "link": _inbox_url(), **context}
    rendered = render(kind, Channel.EMAIL, **context)
    for email in emails:
        enqueue(school_id=school.id, kind=kind, channel=Channel.EMAIL, to=email, rendered=rendered)
    if sms_to:
        enqueue(
            school_id=school.id,
            kind=kind,
            channel=Channel.SMS,
            to=sms_to,
            rendered=render(kind, Channel.SMS, **context),
        )
    return len(emails) + bool(sms_to)


def _once(concern: Concern, kind: AlertKind, at: datetime, recipients: int) -> bool:
    """Record the alert; False if it was already recorded (the job ran twice)."""
    try:
        with db.session.begin_nested():
            db.session.add(
                ConcernAlert(
                    school_id=concern.school_id,
                    concern_id=concern.id,
                    kind=kind,
                    at=at,
                    recipients=recipients,
                )
            )
    except IntegrityError:
        return False
    return True


def run_alerts() -> AlertCounts:
    counts = AlertCounts()
    at = now()
    for school in db.session.scalars(select(School).order_by(School.id)):
        calendar = SchoolCalendar(school)
        counts.alerted += _alert_new(school, at)
        counts.escalated += _escalate(school, calendar, at)
    return counts


def _alert_new(school: School, at: datetime) -> int:
    """Every concern not yet alerted, in one alert that counts them: a burst of reports
    reaches each DSL (and the alert mobile) once, not once per report."""
    concerns = db.session.scalars(
        select(Concern)
        .where(Concern.school_id == school.id, Concern.alerted_at.is_(None))
        .order_by(Concern.id)
    ).all()
    emails = _dsl_addresses(school.id)
    recipients = len(emails) + bool(school.dsl_alert_mobile)
    fresh = [c for c in concerns if _once(c, AlertKind.NEW, at, recipients)]
    if fresh:
        sent = _send(
            school,
            MessageKind.DSL_ALERT,
            emails,
            school.dsl_alert_mobile,
            reference=fresh[0].reference,
            count=len(fresh),
        )
        for concern in fresh:
            record(
                "concern.alert",
                actor="system:jobs",
                school_id=school.id,
                subject=f"concern:{concern.id}",
                recipients=sent,
                in_one_alert_of=len(fresh),
            )
    for concern in concerns:
        concern.alerted_at = at
    return len(concerns)


def _escalate(school: School, calendar: SchoolCalendar, at: datetime) -> int:
    targets = [e.strip() for e in (school.escalation_emails or "").split(",") if e.strip()]
    waiting = db.session.scalars(
        select(Concern)
        .where(
            Concern.school_id == school.id,
            Concern.status == ConcernStatus.NEW,
            ~select(ConcernAlert.id)
            .where(ConcernAlert.concern_id == Concern.id, ConcernAlert.kind == AlertKind.ESCALATION)
            .exists(),
        )
        .order_by(Concern.id)
    ).all()
    escalated = 0
    for concern in waiting:
        reported = calendar.local(concern.reported_at)
        due_day = calendar.add_school_days(reported.date(), school.concern_escalation_school_days)
        due = datetime.combine(due_day, reported.time(), calendar.zone)
        if at < due:
            continue
        if _once(concern, AlertKind.ESCALATION, at, len(targets)):
            _send(
                school,
                MessageKind.CONCERN_ESCALATION,
                targets,
                None,
                reference=concern.reference,
                reported=reported,
            )
            record(
                "concern.escalate",
                actor="system:jobs",
                school_id=school.id,
                subject=f"concern:{concern.id}",
                recipients=len(targets),
            )
            escalated += 1
    return escalated


def run_digest() -> AlertCounts:
    """Once a day per school (on school days): open concerns by age, to every DSL."""
    counts = AlertCounts()
    at = now()
    for school in db.session.scalars(select(School).order_by(School.id)):
        calendar = SchoolCalendar(school)
        today = calendar.local(at).date()
        if not calendar.is_school_day(today):
            continue
        open_concerns = db.session.scalars(
            select(Concern)
            .where(Concern.school_id == school.id, Concern.status != ConcernStatus.CLOSED)
            .order_by(Concern.reported_at)
        ).all()
        if not open_concerns:
            continue
        emails = _dsl_addresses(school.id)
        try:
            with db.session.begin_nested():
                db.session.add(
                    ConcernDigest(
                        school_id=school.id,
                        on_date=today,
                        open_concerns=len(open_concerns),
                        recipients=len(emails),
                    )
                )
        except IntegrityError:
            continue  # today's digest has gone already
        rows = [
            (c.reference, c.status.value, (today - calendar.local(c.reported_at).date()).days)
            for c in open_concerns
        ]
        _send(school, MessageKind.CONCERN_DIGEST, emails, None, rows=rows, today=today)
        counts.digests += 1
    return counts
