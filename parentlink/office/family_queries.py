"""A family for the office: search by name, and one family's timeline."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload

from parentlink.db import db
from parentlink.directory.models import Contact, Pupil, PupilContact
from parentlink.office.queries import PAGE_SIZE, Page


def search_pupils(school_id: int, q: str, *, page: int = 1, per_page: int = PAGE_SIZE) -> Page:
    """Pupils whose name, or a carer's name, contains every word typed."""
    words = [w for w in q.lower().split() if w][:5]
    query = select(Pupil).where(Pupil.school_id == school_id)
    for word in words:
        like = f"%{word.replace('%', '').replace('_', '')}%"
        carer = (
            select(PupilContact.pupil_id)
            .join(Contact, Contact.id == PupilContact.contact_id)
            .where(
                PupilContact.school_id == school_id,
                or_(
                    func.lower(Contact.first_name).like(like),
                    func.lower(Contact.last_name).like(like),
                ),
            )
        )
        query = query.where(
            or_(
                func.lower(Pupil.first_name).like(like),
                func.lower(Pupil.last_name).like(like),
                Pupil.id.in_(carer),
            )
        )
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    items = db.session.scalars(
        query.order_by(Pupil.last_name, Pupil.first_name, Pupil.id)
        .limit(per_page)
        .offset((max(page, 1) - 1) * per_page)
    ).all()
    return Page(list(items), page, total, per_page)


@dataclass(frozen=True)
class Family:
    pupil: Pupil
    links: list[PupilContact]  # this pupil's carers
    siblings: list[Pupil]  # other pupils who share a carer


def family(school_id: int, pupil_id: int) -> Family | None:
    pupil = db.session.scalar(
        select(Pupil).where(Pupil.id == pupil_id, Pupil.school_id == school_id)
    )
    if pupil is None:
        return None
    links = list(
        db.session.scalars(
            select(PupilContact)
            .where(PupilContact.pupil_id == pupil.id)
            .options(joinedload(PupilContact.contact))  # every page shows each carer
            .order_by(PupilContact.priority, PupilContact.id)
        )
    )
    contact_ids = [link.contact_id for link in links]
    siblings = (
        list(
            db.session.scalars(
                select(Pupil)
                .join(PupilContact, PupilContact.pupil_id == Pupil.id)
                .where(PupilContact.contact_id.in_(contact_ids), Pupil.id != pupil.id)
                .group_by(Pupil.id)
                .order_by(Pupil.first_name)
            )
        )
        if contact_ids
        else []
    )
    return Family(pupil, links, siblings)


__all__ = ["Family", "family", "search_pupils"]
