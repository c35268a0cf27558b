"""The overview's headline: the whole school's coverage by the current published version of
the agreement, whatever campaign covered each pupil. Aggregates in SQL (one GROUP BY for the
year groups and classes, one for the cumulative line, one per count)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import and_, case, exists, func, or_, select

from parentlink.agreements.models import AgreementVersion
from parentlink.agreements.services import current_version
from parentlink.campaigns.models import (
    Campaign,
    CampaignStatus,
    Confirmation,
    Invitation,
    InvitationStatus,
    confirmation_pupil,
)
from parentlink.db import db
from parentlink.directory.models import Contact, Pupil, PupilContact, can_email, can_text
from parentlink.office.queries import Coverage, coverage_tree

TARGET_PERCENT = 90  # the line the office aims for by the closing date


def _covered_pupils(version_id: int):
    """Pupils named in a standing confirmation of this version, with when first covered."""
    return (
        select(
            confirmation_pupil.c.pupil_id.label("pupil_id"),
            func.min(Confirmation.confirmed_at).label("covered_at"),
        )
        .join(Confirmation, Confirmation.id == confirmation_pupil.c.confirmation_id)
        .where(Confirmation.version_id == version_id, Confirmation.withdrawn_at.is_(None))
        .group_by(confirmation_pupil.c.pupil_id)
        .subquery()
    )


def school_coverage(school_id: int, version: AgreementVersion | None) -> Coverage:
    """Current pupils covered by the version, overall, by year group and by class."""
    current = and_(Pupil.school_id == school_id, Pupil.left_on.is_(None))
    if version is None:
        done = func.sum(0)
        query = select(Pupil.year_group, Pupil.class_name, func.count(Pupil.id), done)
    else:
        covered = _covered_pupils(version.id)
        query = select(
            Pupil.year_group,
            Pupil.class_name,
            func.count(Pupil.id),
            func.sum(case((covered.c.pupil_id.is_not(None), 1), else_=0)),
        ).outerjoin(covered, covered.c.pupil_id == Pupil.id)
    rows = db.session.execute(
        query.where(current).group_by(Pupil.year_group, Pupil.class_name)
    ).all()
    return coverage_tree(rows)


@dataclass(frozen=True)
class Line:
    """Pupils covered so far, day by day, from the first launch to the closing date."""

    start: date
    end: date  # the latest closing date of an open campaign (or today)
    today: date
    points: list[tuple[date, int]]  # (day, pupils covered by the end of that day)
    pupils: int
    target: int

    @property
    def days(self) -> int:
        return max(1, (self.end - self.start).days)


def cumulative_line(
    school_id: int, version: AgreementVersion | None, pupils: int, today: date
) -> Line | None:
    if version is None:
        return None
    launched, closes = db.session.execute(
        select(func.min(Campaign.launched_at), func.max(Campaign.closes_at)).where(
            Campaign.school_id == school_id,
            Campaign.version_id == version.id,
            Campaign.status != CampaignStatus.DRAFT,
        )
    ).one()
    if launched is None:
        return None
    covered = _covered_pupils(version.id)
    day = func.date(covered.c.covered_at)
    rows = db.session.execute(
        select(day, func.count())
        .join(Pupil, Pupil.id == covered.c.pupil_id)
        .where(Pupil.school_id == school_id, Pupil.left_on.is_(None))
        .group_by(day)
        .order_by(day)
    ).all()
    start = launched.date()
    end = max(closes.date() if closes else today, today, start + timedelta(days=1))
    running, points = 0, []
    for when, n in rows:
        when = when if isinstance(when, date) else date.fromisoformat(str(when))
        running += n
        points.append((max(when, start), running))
    return Line(start, end, today, points, pupils, round(pupils * TARGET_PERCENT / 100))


@dataclass(frozen=True)
class Counts:
    open_questions: int
    withdrawals: int  # carers whose confirmation of this version stands withdrawn
    cannot_reach: int  # carers with parental responsibility and no usable mobile or email


def counts(school_id: int, version: AgreementVersion | None, open_questions: int) -> Counts:
    withdrawals = 0
    if version is not None:
        withdrawals = db.session.scalar(
            select(func.count(Invitation.id)).where(
                Invitation.school_id == school_id,
                Invitation.status == InvitationStatus.WITHDRAWN,
                Invitation.campaign_id.in_(
                    select(Campaign.id).where(Campaign.version_id == version.id)
                ),
            )
        )
    usable = or_(can_text(), can_email())
    with_pr = exists().where(
        PupilContact.contact_id == Contact.id,
        PupilContact.parental_responsibility.is_(True),
        PupilContact.court_order_restriction.is_(False),
        PupilContact.pupil_id.in_(
            select(Pupil.id).where(Pupil.school_id == school_id, Pupil.left_on.is_(None))
        ),
    )
    cannot_reach = db.session.scalar(
        select(func.count(Contact.id)).where(
            Contact.school_id == school_id,
            or_(~usable, Contact.details_flagged_at.is_not(None)),
            with_pr,
        )
    )
    return Counts(open_questions, withdrawals or 0, cannot_reach or 0)


def headline(school_id: int, today: date):
    version = current_version(school_id)
    coverage = school_coverage(school_id, version)
    return version, coverage, cumulative_line(school_id, version, coverage.pupils, today)


__all__ = ["Counts", "Line", "TARGET_PERCENT", "counts", "headline", "school_coverage"]
