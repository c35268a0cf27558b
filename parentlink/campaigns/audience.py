"""Who a campaign asks: the whole school, some year groups, some classes, or new starters.

New starters are the current pupils that no earlier campaign has asked about (no invitation
names them): pupils who joined since the last round, whenever they joined. Those covered by
a confirmation through an earlier campaign are therefore never asked twice by this choice.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, exists, func, select

from parentlink.campaigns.models import AudienceKind, invitation_pupil
from parentlink.db import db
from parentlink.directory.models import Pupil

OFFERED = (
    AudienceKind.WHOLE_SCHOOL,
    AudienceKind.YEAR_GROUPS,
    AudienceKind.CLASSES,
    AudienceKind.NEW_STARTERS,
)
YEAR_ORDER = ("Nursery", "Reception", *(f"Year {n}" for n in range(1, 14)))


@dataclass(frozen=True)
class Audience:
    kind: AudienceKind = AudienceKind.WHOLE_SCHOOL
    values: tuple[str, ...] = ()  # year groups or classes

    @property
    def stored_values(self) -> str:
        """As kept on the campaign (the office's progress pages read it back)."""
        return ",".join(self.values)

    def describe(self) -> str:
        if self.kind is AudienceKind.YEAR_GROUPS:
            return "Year groups: " + ", ".join(self.values)
        if self.kind is AudienceKind.CLASSES:
            return "Classes: " + ", ".join(self.values)
        if self.kind is AudienceKind.NEW_STARTERS:
            return "New starters (pupils no earlier campaign has asked about)"
        return "The whole school"


def _new_starter_condition():
    asked = select(1).where(invitation_pupil.c.pupil_id == Pupil.id)
    return ~exists(asked)


def pupils_wanted(school_id: int, audience: Audience) -> Select | None:
    """A SELECT of the pupil ids the audience covers, or None for the whole school."""
    current = select(Pupil.id).where(Pupil.school_id == school_id, Pupil.left_on.is_(None))
    if audience.kind is AudienceKind.YEAR_GROUPS:
        return current.where(Pupil.year_group.in_(audience.values))
    if audience.kind is AudienceKind.CLASSES:
        return current.where(Pupil.class_name.in_(audience.values))
    if audience.kind is AudienceKind.NEW_STARTERS:
        return current.where(_new_starter_condition())
    return None


def _year_key(name: str) -> tuple[int, str]:
    return (YEAR_ORDER.index(name), "") if name in YEAR_ORDER else (len(YEAR_ORDER), name)


@dataclass(frozen=True)
class Choices:
    """What the office can choose from, each with its number of current pupils."""

    whole_school: int
    year_groups: list[tuple[str, int]]
    classes: list[tuple[str, str, int]]  # class, its year group, pupils
    new_starters: int


def choices(school_id: int) -> Choices:
    current = (Pupil.school_id == school_id, Pupil.left_on.is_(None))
    rows = db.session.execute(
        select(Pupil.year_group, Pupil.class_name, func.count(Pupil.id))
        .where(*current)
        .group_by(Pupil.year_group, Pupil.class_name)
    ).all()
    years: dict[str, int] = {}
    classes: dict[str, tuple[str, int]] = {}  # a mixed-age class is listed once
    for year, class_name, n in rows:
        years[year] = years.get(year, 0) + n
        first_year, pupils = classes.get(class_name, (year, 0))
        classes[class_name] = (min(first_year, year, key=_year_key), pupils + n)
    new_starters = db.session.scalar(
        select(func.count(Pupil.id)).where(*current, _new_starter_condition())
    )
    return Choices(
        whole_school=sum(years.values()),
        year_groups=sorted(years.items(), key=lambda item: _year_key(item[0])),
        classes=sorted(
            ((c, y, n) for c, (y, n) in classes.items()),
            key=lambda item: (_year_key(item[1]), item[0]),
        ),
        new_starters=new_starters or 0,
    )
