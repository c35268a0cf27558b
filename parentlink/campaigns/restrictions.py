"""A carer who may no longer be asked about a child is never contacted about that child.

A pupil–contact link stops allowing contact when a court-order restriction is recorded on
it, when parental responsibility is turned off, or when a re-import no longer lists it; a
pupil who has left the school (a whole-school import no longer lists them) is no longer
asked about either.
`stop_contact` then takes the pupil off every invitation of that carer; an invitation left
with no pupil is revoked (every link it issued stops working at once), and the messages
still queued for it are cancelled before any dispatcher claims them.

`still_allowed` is the same rule as one SQL condition, so the chase, "send me a new link"
and the dispatcher re-check it at the moment they would send (a court order recorded while
a chase job was running can never be overtaken by that job's messages).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, delete, exists, func, select, update

from parentlink.campaigns.invitation_links import revoke_extra_links
from parentlink.campaigns.models import Invitation, InvitationStatus, invitation_pupil
from parentlink.core.states import check_transition
from parentlink.db import db
from parentlink.directory.models import Pupil, PupilContact
from parentlink.messaging.models import MESSAGE_TRANSITIONS, Message, MessageStatus

REVOKED = InvitationStatus.REVOKED
OPEN = (InvitationStatus.CREATED, InvitationStatus.SENT, InvitationStatus.OPENED)
CANCELLED = "cancelled before sending: this carer may no longer be contacted about the child"


@dataclass
class Stopped:
    invitations_revoked: int = 0
    invitations_narrowed: int = 0
    messages_cancelled: int = 0

    def add(self, other: Stopped) -> None:
        self.invitations_revoked += other.invitations_revoked
        self.invitations_narrowed += other.invitations_narrowed
        self.messages_cancelled += other.messages_cancelled


def link_allows_contact() -> ColumnElement[bool]:
    return PupilContact.parental_responsibility.is_(
        True
    ) & PupilContact.court_order_restriction.is_(False)


def still_allowed(invitation_id, contact_id) -> ColumnElement[bool]:
    """The invitation (by these columns or values) still names a pupil its carer may be
    asked about: a live, not revoked invitation with a link that allows contact, about a
    pupil still on roll."""
    return exists().where(
        Invitation.id == invitation_id,
        Invitation.status != InvitationStatus.REVOKED,
        invitation_pupil.c.invitation_id == Invitation.id,
        PupilContact.pupil_id == invitation_pupil.c.pupil_id,
        PupilContact.contact_id == contact_id,
        link_allows_contact(),
        Pupil.id == invitation_pupil.c.pupil_id,
        Pupil.left_on.is_(None),
    )


def stop_contact(
    contact_id: int, pupil_ids: set[int], at: datetime, *, open_only: bool = False
) -> Stopped:
    """Take these pupils off every invitation of this carer; revoke the invitations left
    with nobody, cancel their queued messages. Flushes; the caller commits.
    `open_only`: leave answered invitations alone (a leaver's family keeps its receipt
    and can still withdraw; only the asking stops)."""
    stopped = Stopped()
    if not pupil_ids:
        return stopped
    statuses = OPEN if open_only else tuple(s for s in InvitationStatus if s is not REVOKED)
    invitations = db.session.scalars(
        select(Invitation)
        .where(
            Invitation.contact_id == contact_id,
            Invitation.status.in_(statuses),
            exists().where(
                invitation_pupil.c.invitation_id == Invitation.id,
                invitation_pupil.c.pupil_id.in_(pupil_ids),
            ),
        )
        .order_by(Invitation.id)
    ).all()
    for invitation in invitations:
        remaining = [p for p in invitation.pupils if p.id not in pupil_ids]
        db.session.execute(
            delete(invitation_pupil).where(
                invitation_pupil.c.invitation_id == invitation.id,
                invitation_pupil.c.pupil_id.in_(pupil_ids),
            )
        )
        db.session.expire(invitation, ["pupils"])
        if remaining:
            stopped.invitations_narrowed += 1
        else:
            invitation.revoke(at)
            revoke_extra_links(invitation.id)
            stopped.invitations_revoked += 1
        # Queued messages name the children as they were: none of them may go.
        stopped.messages_cancelled += _cancel_queued(invitation.id, at)
    db.session.flush()
    return stopped


def would_stop(stop: dict[int, set[int]], *, open_only: bool = False) -> Stopped:
    """What `stop_contact` would do for each {contact id: pupil ids}, counted without
    writing (an import's preview): two queries, whatever the number of carers."""
    statuses = OPEN if open_only else tuple(s for s in InvitationStatus if s is not REVOKED)
    stopped = Stopped()
    if not stop:
        return stopped
    pupils: dict[tuple[int, int], set[int]] = {}  # (invitation, contact) -> its pupils
    contacts = list(stop)
    for start in range(0, len(contacts), 500):
        rows = db.session.execute(
            select(Invitation.id, Invitation.contact_id, invitation_pupil.c.pupil_id)
            .join(invitation_pupil, invitation_pupil.c.invitation_id == Invitation.id)
            .where(
                Invitation.contact_id.in_(contacts[start : start + 500]),
                Invitation.status.in_(statuses),
            )
        )
        for invitation_id, contact_id, pupil_id in rows:
            pupils.setdefault((invitation_id, contact_id), set()).add(pupil_id)
    touched = []
    for (invitation_id, contact_id), named in pupils.items():
        if named & stop[contact_id]:
            touched.append(invitation_id)
            if named <= stop[contact_id]:
                stopped.invitations_revoked += 1
            else:
                stopped.invitations_narrowed += 1
    for start in range(0, len(touched), 500):
        stopped.messages_cancelled += db.session.scalar(
            select(func.count()).where(
                Message.invitation_id.in_(touched[start : start + 500]),
                Message.status == MessageStatus.QUEUED,
            )
        )
    return stopped


def _cancel_queued(invitation_id: int, at: datetime) -> int:
    check_transition(MessageStatus.QUEUED, MessageStatus.FAILED, MESSAGE_TRANSITIONS)
    result = db.session.execute(
        update(Message)
        .where(Message.invitation_id == invitation_id, Message.status == MessageStatus.QUEUED)
        .values(status=MessageStatus.FAILED, final_at=at, link_token=None, last_error=CANCELLED)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0
