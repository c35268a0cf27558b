"""A family for the office: search by name, and one family's timeline."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import bindparam, func, or_, select
from sqlalchemy.orm import contains_eager, joinedload

from parentlink.campaigns.models import Campaign, CampaignStatus, Invitation
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


# Built once: a family page runs these on every view, and building a statement costs more
# Python than running it costs the database.
_PUPIL_AND_CARERS = (
    select(Pupil, PupilContact)
    .outerjoin(PupilContact, PupilContact.pupil_id == Pupil.id)
    .outerjoin(PupilContact.contact)
    .where(Pupil.id == bindparam("pupil_id"), Pupil.school_id == bindparam("school_id"))
    .options(contains_eager(PupilContact.contact))  # every page shows each carer
    .order_by(PupilContact.priority, PupilContact.id)
)
_SIBLINGS = (
    select(Pupil)
    .join(PupilContact, PupilContact.pupil_id == Pupil.id)
    .where(
        PupilContact.contact_id.in_(bindparam("contact_ids", expanding=True)),
        Pupil.id != bindparam("pupil_id"),
    )
    .group_by(Pupil.id)
    .order_by(Pupil.first_name)
)
_INVITATIONS = (
    select(Invitation)
    .where(Invitation.contact_id.in_(bindparam("contact_ids", expanding=True)))
    .options(joinedload(Invitation.campaign))
    .order_by(Invitation.id)
)
_OPEN_CAMPAIGN = (
    select(Campaign)
    .where(Campaign.school_id == bindparam("school_id"), Campaign.status == CampaignStatus.OPEN)
    .order_by(Campaign.launched_at.desc(), Campaign.id.desc())
    .limit(1)
)


def family(school_id: int, pupil_id: int) -> Family | None:
    """The pupil with their carers (one query), and the pupils who share a carer."""
    rows = db.session.execute(
        _PUPIL_AND_CARERS, {"pupil_id": pupil_id, "school_id": school_id}
    ).all()
    if not rows:
        return None
    pupil = rows[0][0]
    links = [link for _, link in rows if link is not None]
    contact_ids = [link.contact_id for link in links]
    siblings = (
        list(db.session.scalars(_SIBLINGS, {"contact_ids": contact_ids, "pupil_id": pupil.id}))
        if contact_ids
        else []
    )
    return Family(pupil, links, siblings)


def invitations(fam: Family) -> list[Invitation]:
    """Every invitation the family's carers were sent, with its campaign, oldest first."""
    contact_ids = [link.contact_id for link in fam.links]
    if not contact_ids:
        return []
    return list(db.session.scalars(_INVITATIONS, {"contact_ids": contact_ids}))


def open_campaign(school_id: int) -> Campaign | None:
    """The school's newest open campaign: the one a family page acts in."""
    return db.session.scalar(_OPEN_CAMPAIGN, {"school_id": school_id})


__all__ = ["Family", "family", "invitations", "open_campaign", "search_pupils"]
