"""A family for the office: search by name, and one family's timeline."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select

from parentlink.campaigns.models import Answer, Confirmation, Invitation
from parentlink.db import db
from parentlink.directory.models import Contact, Pupil, PupilContact
from parentlink.messaging.models import DeliveryEvent, Message
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


@dataclass(frozen=True)
class Event:
    at: datetime
    kind: str  # message, delivery, opened, confirmed, withdrawn, question, concern
    who: str
    text: str


TIMELINE_LIMIT = 200


def timeline(fam: Family, *, with_concerns: bool) -> list[Event]:
    """Everything that happened to this family's carers, newest first (bounded)."""
    names = {
        link.contact_id: f"{link.contact.first_name} {link.contact.last_name}" for link in fam.links
    }
    ids = list(names)
    if not ids:
        return []
    events: list[Event] = []
    messages = db.session.scalars(
        select(Message)
        .where(Message.contact_id.in_(ids))
        .order_by(Message.id.desc())
        .limit(TIMELINE_LIMIT)
    ).all()
    for m in messages:
        label = m.kind.value.replace("-", " ")
        events.append(
            Event(
                m.created_at,
                "message",
                names[m.contact_id],
                f"{label} {m.channel.value} to {m.to_address}: {m.status.value}",
            )
        )
    if messages:
        for e in db.session.scalars(
            select(DeliveryEvent)
            .where(DeliveryEvent.message_id.in_([m.id for m in messages]))
            .order_by(DeliveryEvent.id.desc())
            .limit(TIMELINE_LIMIT)
        ):
            detail = f" ({e.error_code})" if e.error_code else ""
            events.append(
                Event(
                    e.at,
                    "delivery",
                    names[e.message.contact_id],
                    f"{e.source} reported {e.status}{detail}",
                )
            )
    for inv in db.session.scalars(select(Invitation).where(Invitation.contact_id.in_(ids))):
        if inv.opened_at:
            events.append(
                Event(
                    inv.opened_at,
                    "opened",
                    names[inv.contact_id],
                    f"opened the link for {inv.campaign.name}",
                )
            )
    for c in db.session.scalars(select(Confirmation).where(Confirmation.contact_id.in_(ids))):
        how = c.channel.value
        events.append(
            Event(
                c.confirmed_at,
                "confirmed",
                names[c.contact_id],
                f"confirmed ({how}) as \u201c{c.typed_name}\u201d, reference {c.reference}",
            )
        )
        if c.withdrawn_at:
            events.append(
                Event(
                    c.withdrawn_at,
                    "withdrawn",
                    names[c.contact_id],
                    f"withdrew: {c.withdrawal_reason or 'no reason given'}",
                )
            )
        for r in c.responses:
            if r.answer is Answer.QUESTION:
                events.append(
                    Event(
                        c.confirmed_at,
                        "question",
                        names[c.contact_id],
                        f"asked about a clause: {r.question or ''}",
                    )
                )
    if with_concerns:
        from parentlink.concerns.models import Concern

        pupil_ids = [fam.pupil.id, *(s.id for s in fam.siblings)]
        for concern in db.session.scalars(
            select(Concern).where(or_(Concern.contact_id.in_(ids), Concern.pupil_id.in_(pupil_ids)))
        ):
            who = names.get(concern.contact_id, "a carer")
            events.append(
                Event(
                    concern.reported_at,
                    "concern",
                    who,
                    f"reported a concern ({concern.category.value}), reference {concern.reference}",
                )
            )
    events.sort(key=lambda e: e.at, reverse=True)
    return events[:TIMELINE_LIMIT]


__all__ = ["Family", "family", "search_pupils", "timeline"]
