"""Use cases on the links between pupils and carers: a court-order restriction, set or
cleared by an admin or the DSL with a reason, and what happens when a link stops allowing
contact (from here, or from an import)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from parentlink.campaigns.restrictions import Stopped, stop_contact
from parentlink.core.audit import record
from parentlink.core.clock import now
from parentlink.db import db
from parentlink.directory.models import PupilContact


class LinkError(ValueError):
    """The change cannot be made as asked; the message says why."""


def set_court_order(
    school_id: int, link_id: int, *, restricted: bool, reason: str, actor: str
) -> Stopped:
    """Record or clear a court-order restriction on one pupil–carer link. Recording one
    stops contact at once: the carer's links about this child stop working and their
    queued messages are cancelled."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise LinkError("say why (for example, the order's date and court)")
    if len(reason) > 500:
        raise LinkError("the reason is longer than 500 characters")
    link = db.session.scalar(
        select(PupilContact).where(PupilContact.id == link_id, PupilContact.school_id == school_id)
    )
    if link is None:
        raise LinkError("no such carer for this pupil")
    if link.court_order_restriction == restricted:
        raise LinkError(
            "a court-order restriction is already recorded"
            if restricted
            else "there is no court-order restriction to clear"
        )
    link.court_order_restriction = restricted
    stopped = Stopped()
    if restricted:
        stopped = stop_contact(link.contact_id, {link.pupil_id}, now())
    db.session.flush()
    record(
        "directory.court_order." + ("set" if restricted else "cleared"),
        actor=actor,
        school_id=school_id,
        subject=f"pupil_contact:{link.id}",
        pupil_id=link.pupil_id,
        contact_id=link.contact_id,
        reason=reason,
        invitations_revoked=stopped.invitations_revoked,
        messages_cancelled=stopped.messages_cancelled,
    )
    return stopped


@dataclass(frozen=True)
class StoppedLink:
    pupil: str  # "Amelia Patel"
    contact: str  # "Raj Patel"
    why: str  # "no longer linked in the file", "court order", "no parental responsibility"


def stop_links(stop: dict[int, set[int]]) -> Stopped:
    """After an import: stop contact wherever a link that allowed it no longer does (a court
    order, parental responsibility off, or the link gone): {contact id: pupil ids}."""
    out = Stopped()
    at = now()
    for contact_id, pupil_ids in stop.items():
        out.add(stop_contact(contact_id, pupil_ids, at))
    db.session.flush()
    return out
