"""A launch's rows for a whole school at once (10,000 carers in one transaction).

The families are read as plain rows, one family at a time, and what is kept of each goes
into a few lists of plain values (no object per family outlives its turn, so Python's
collector has next to nothing to walk); the rows are written with one executemany per
table (db.insert_many), never through the ORM's unit of work.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from itertools import chain, groupby
from operator import itemgetter
from typing import NamedTuple

from sqlalchemy import Select, select

from parentlink.campaigns.models import Invitation, InvitationStatus, invitation_pupil
from parentlink.core.tokens import hash_token, new_tokens
from parentlink.db import db, insert_many
from parentlink.directory.models import Channel, Contact, Pupil, address_for
from parentlink.messaging.models import MessageKind
from parentlink.messaging.outbox import enqueue_many
from parentlink.messaging.templates import Rendered


class FamilyRow(NamedTuple):
    """One row of FAMILY_COLUMNS: a carer and one of their children."""

    id: int
    first_name: str
    last_name: str
    language: str
    preferred_channel: Channel
    mobile: str | None
    email: str | None
    sms_opted_out: bool
    email_complained: bool
    failed_mobile: str | None
    failed_email: str | None
    pupil_id: int
    pupil_first_name: str


# What a launch reads of each family: the carer's columns and each child's id and name.
FAMILY_COLUMNS = (
    Contact.id,
    Contact.first_name,
    Contact.last_name,
    Contact.language,
    Contact.preferred_channel,
    Contact.mobile,
    Contact.email,
    Contact.sms_opted_out,
    Contact.email_complained,
    Contact.failed_mobile,
    Contact.failed_email,
    Pupil.id.label("pupil_id"),
    Pupil.first_name.label("pupil_first_name"),
)
if tuple(column.key for column in FAMILY_COLUMNS) != FamilyRow._fields:
    raise ImportError("campaigns.bulk: FAMILY_COLUMNS and FamilyRow differ")


def families(query: Select) -> Iterator[tuple[FamilyRow, list[FamilyRow]]]:
    """(the carer's row, all their rows: one per child) for each carer of `query`
    (FAMILY_COLUMNS, ordered by carer), read a few hundred rows at a time."""
    result = db.session.connection().execute(query)
    rows = map(FamilyRow._make, chain.from_iterable(result.partitions(500)))
    for _contact_id, family in groupby(rows, itemgetter(0)):
        pupils = list(family)
        yield pupils[0], pupils


class Planned:
    """What a launch will write: one invitation and one message per carer, as columns."""

    def __init__(self) -> None:
        self.contact_ids: list[int] = []
        self.channels: list[Channel] = []
        self.addresses: list[str] = []
        self.messages: list[Rendered] = []
        self.segments: list[int | None] = []
        self.pupils: list[tuple[int, int]] = []  # (contact id, pupil id)

    def add(self, contact, pupils, channel: Channel, rendered: Rendered, segments) -> None:
        self.contact_ids.append(contact.id)
        self.channels.append(channel)
        self.addresses.append(address_for(contact, channel))
        self.messages.append(rendered)
        self.segments.append(segments)
        self.pupils += [(contact.id, pupil.pupil_id) for pupil in pupils]

    def __len__(self) -> int:
        return len(self.contact_ids)

    def write(self, school_id: int, campaign_id: int, at: datetime) -> None:
        """The invitations (each with a new link), their pupils and their messages.
        Invitation ids are read back by carer: a campaign has one invitation per carer."""
        if not self.contact_ids:
            return
        tokens = new_tokens(len(self))
        insert_many(
            Invitation.__table__,
            {
                "school_id": school_id,
                "campaign_id": campaign_id,
                "contact_id": self.contact_ids,
                "token_hash": [hash_token(token) for token in tokens],
                "status": InvitationStatus.CREATED,
                "created_at": at,
                "reminders_sent": 0,
            },
            rows=len(self),
        )
        mine = select(Invitation.contact_id, Invitation.id).where(
            Invitation.campaign_id == campaign_id
        )
        ids = dict(db.session.connection().execute(mine).all())
        insert_many(
            invitation_pupil,
            {
                "invitation_id": [ids[contact_id] for contact_id, _ in self.pupils],
                "pupil_id": [pupil_id for _, pupil_id in self.pupils],
            },
            rows=len(self.pupils),
        )
        enqueue_many(
            school_id,
            MessageKind.INVITE,
            channels=self.channels,
            rendered=self.messages,
            to=self.addresses,
            contact_ids=self.contact_ids,
            invitation_ids=[ids[contact_id] for contact_id in self.contact_ids],
            link_tokens=tokens,
            segments=self.segments,
            at=at,
        )
