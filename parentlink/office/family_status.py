"""One status per family (a pupil and their carers), for the badge on the family page and the
status column of the families list: what the office should do next, in one word or two.

Coverage is by the school's current published version of the agreement, whatever campaign
asked: a standing confirmation of that version that names the pupil covers them.

The statuses are ordered by what needs the office first: a family with a carer under a
court-order restriction says so before anything else, so that nobody records a reply or
reminds a carer by hand without seeing it.
"""

from __future__ import annotations

import enum

from sqlalchemy import and_, bindparam, exists, or_, select

from parentlink.agreements.services import current_version_id
from parentlink.campaigns.models import (
    Answer,
    ClauseResponse,
    Confirmation,
    FollowUp,
    confirmation_pupil,
)
from parentlink.db import db
from parentlink.directory.models import Contact, Pupil, PupilContact, can_email, can_text


class FamilyStatus(enum.Enum):
    RESTRICTED = "restricted"
    QUESTIONS_OPEN = "questions open"
    COVERED = "covered"
    WITHDRAWN = "withdrawn"
    CANNOT_REACH = "cannot reach"
    NOT_YET_ANSWERED = "not yet answered"

    @property
    def css(self) -> str:
        return self.name.lower().replace("_", "-")

    @property
    def explanation(self) -> str:
        return EXPLANATIONS[self]


EXPLANATIONS = {
    FamilyStatus.RESTRICTED: "a carer is under a court-order restriction and is never contacted",
    FamilyStatus.QUESTIONS_OPEN: "a carer confirmed but asked a question still to answer",
    FamilyStatus.COVERED: "a carer has confirmed the current agreement",
    FamilyStatus.WITHDRAWN: "a carer confirmed, then withdrew, and nobody has confirmed since",
    FamilyStatus.CANNOT_REACH: "no carer with parental responsibility has a usable mobile or email",
    FamilyStatus.NOT_YET_ANSWERED: "no carer has confirmed the current agreement yet",
}


def _confirmed(pupil_id, condition):
    """Some confirmation matching `condition` names this pupil."""
    return exists().where(
        confirmation_pupil.c.pupil_id == pupil_id,
        Confirmation.id == confirmation_pupil.c.confirmation_id,
        condition,
    )


def _statement():
    """One query for a page of pupils, the school's current version looked up inside it (a
    school with none published has no confirmation of it: nobody is covered)."""
    pupil = Pupil.id
    of_version = Confirmation.version_id == current_version_id(bindparam("school_id"))
    standing = and_(of_version, Confirmation.withdrawn_at.is_(None))
    open_question = exists().where(
        ClauseResponse.confirmation_id == Confirmation.id,
        ClauseResponse.answer == Answer.QUESTION,
        ClauseResponse.follow_up == FollowUp.OPEN,
    )
    is_reachable = exists().where(
        PupilContact.pupil_id == pupil,
        Contact.id == PupilContact.contact_id,
        PupilContact.parental_responsibility.is_(True),
        PupilContact.court_order_restriction.is_(False),
        Contact.details_flagged_at.is_(None),
        or_(can_text(), can_email()),
    )
    is_restricted = exists().where(
        PupilContact.pupil_id == pupil, PupilContact.court_order_restriction.is_(True)
    )
    return select(
        pupil,
        is_restricted,
        _confirmed(pupil, and_(standing, open_question)),
        _confirmed(pupil, standing),
        _confirmed(pupil, and_(of_version, Confirmation.withdrawn_at.is_not(None))),
        is_reachable,
    ).where(pupil.in_(bindparam("pupil_ids", expanding=True)))


_STATUSES = _statement()  # built once: the families list and every family page run it


def statuses(school_id: int, pupil_ids: list[int]) -> dict[int, FamilyStatus]:
    """The status of each pupil's family (one page of pupils: one query)."""
    if not pupil_ids:
        return {}
    rows = db.session.execute(_STATUSES, {"school_id": school_id, "pupil_ids": pupil_ids}).all()
    restricted = {row[0] for row in rows if row[1]}
    questions = {row[0] for row in rows if row[2]}
    covered = {row[0] for row in rows if row[3]}
    withdrawn = {row[0] for row in rows if row[4]}
    reachable = {row[0] for row in rows if row[5]}
    out = {}
    for pupil_id in pupil_ids:
        if pupil_id in restricted:
            out[pupil_id] = FamilyStatus.RESTRICTED
        elif pupil_id in questions:
            out[pupil_id] = FamilyStatus.QUESTIONS_OPEN
        elif pupil_id in covered:
            out[pupil_id] = FamilyStatus.COVERED
        elif pupil_id in withdrawn:
            out[pupil_id] = FamilyStatus.WITHDRAWN
        elif pupil_id not in reachable:
            out[pupil_id] = FamilyStatus.CANNOT_REACH
        else:
            out[pupil_id] = FamilyStatus.NOT_YET_ANSWERED
    return out
