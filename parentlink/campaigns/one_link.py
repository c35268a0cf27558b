"""One link per carer: a launch for pupils another campaign has already covered, or whose
carers already hold a live link for the same version, says so in the preview and by default
leaves them out (the office can choose to ask them again).

A "live link" is an invitation, not revoked, in an open campaign of the same version whose
link still works (its closing date plus the grace days, PARENTLINK_LINK_GRACE_DAYS). The
rule works on pupil-carer pairs: a carer who holds a live link for Amelia is not sent a
second one for her, but is still asked about a new starter, Sam, who is on no link yet.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import Select, and_, exists, func, not_, or_, select

from parentlink.campaigns.models import (
    Campaign,
    CampaignStatus,
    Confirmation,
    Invitation,
    InvitationStatus,
    confirmation_pupil,
    invitation_pupil,
)
from parentlink.core.clock import now
from parentlink.db import db
from parentlink.directory.models import Pupil, PupilContact


def _covered(version_id: int):
    """Pupil.id is named in a standing confirmation of this version."""
    return Pupil.id.in_(
        select(confirmation_pupil.c.pupil_id)
        .join(Confirmation, Confirmation.id == confirmation_pupil.c.confirmation_id)
        .where(Confirmation.version_id == version_id, Confirmation.withdrawn_at.is_(None))
    )


def _live(version_id: int):
    """This carer (PupilContact.contact_id) holds a live link that asks about this pupil."""
    return exists().where(
        invitation_pupil.c.pupil_id == PupilContact.pupil_id,
        Invitation.id == invitation_pupil.c.invitation_id,
        Invitation.contact_id == PupilContact.contact_id,
        Invitation.status != InvitationStatus.REVOKED,
        Invitation.campaign_id.in_(
            select(Campaign.id).where(
                Campaign.version_id == version_id,
                Campaign.status == CampaignStatus.OPEN,
                Campaign.closes_at >= now() - timedelta(days=current_app.config["LINK_GRACE_DAYS"]),
            )
        ),
    )


def not_already_asked(version_id: int):
    """For eligible_families: keep only the pupil-carer pairs nobody needs to ask again."""
    return not_(or_(_covered(version_id), _live(version_id)))


@dataclass(frozen=True)
class AlreadyAsked:
    covered_pupils: int  # in this audience, covered by a confirmation of this version
    live_carers: int  # carers in this audience holding a live link for this version

    @property
    def any(self) -> bool:
        return bool(self.covered_pupils or self.live_carers)


def already_asked(school_id: int, version_id: int, pupils_wanted: Select | None) -> AlreadyAsked:
    """What the preview warns about (two counts)."""
    pupils = [Pupil.school_id == school_id, Pupil.left_on.is_(None)]
    if pupils_wanted is not None:
        pupils.append(Pupil.id.in_(pupils_wanted))
    covered = db.session.scalar(select(func.count(Pupil.id)).where(*pupils, _covered(version_id)))
    live = db.session.scalar(
        select(func.count(func.distinct(PupilContact.contact_id)))
        .join(Pupil, Pupil.id == PupilContact.pupil_id)
        .where(
            *pupils,
            and_(
                PupilContact.parental_responsibility.is_(True),
                PupilContact.court_order_restriction.is_(False),
            ),
            _live(version_id),
        )
    )
    return AlreadyAsked(covered or 0, live or 0)
