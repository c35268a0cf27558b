"""Leavers' contact details are removed a set time after their last child has left; MIS
files uploaded but never imported are deleted after a day."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import delete, exists, select, update

from parentlink.db import db
from parentlink.directory.models import Contact, ImportUpload, Pupil, PupilContact

REMOVED = "(removed)"


def purge_leaver_contacts(before: date) -> int:
    """Contacts all of whose children left before `before`: names and details removed.
    The rows stay, so the evidence of what they confirmed keeps its shape."""
    current_child = (
        select(1)
        .select_from(PupilContact)
        .join(Pupil, Pupil.id == PupilContact.pupil_id)
        .where(
            PupilContact.contact_id == Contact.id,
            (Pupil.left_on.is_(None)) | (Pupil.left_on >= before),
        )
    )
    any_child = select(1).where(PupilContact.contact_id == Contact.id)
    result = db.session.execute(
        update(Contact)
        .where(exists(any_child), ~exists(current_child), Contact.first_name != REMOVED)
        .values(first_name=REMOVED, last_name=REMOVED, mobile=None, email=None)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


def purge_abandoned_uploads(before: datetime) -> int:
    """Uploads started before `before` and never imported: the file (names, numbers,
    addresses) goes. An imported upload's row stays, its bytes already emptied, as the
    audit log's record of that import names it."""
    result = db.session.execute(
        delete(ImportUpload)
        .where(ImportUpload.committed_at.is_(None), ImportUpload.created_at < before)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0
