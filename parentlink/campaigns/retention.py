"""Confirmations are evidence: kept for a set period, then deleted with their answers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select

from parentlink.campaigns.models import ClauseResponse, Confirmation, confirmation_pupil
from parentlink.db import db


def purge_confirmations(before: datetime) -> int:
    old = select(Confirmation.id).where(Confirmation.confirmed_at < before)
    ids = db.session.scalars(old).all()
    if not ids:
        return 0
    for chunk_start in range(0, len(ids), 1000):
        chunk = ids[chunk_start : chunk_start + 1000]
        db.session.execute(delete(ClauseResponse).where(ClauseResponse.confirmation_id.in_(chunk)))
        db.session.execute(
            delete(confirmation_pupil).where(confirmation_pupil.c.confirmation_id.in_(chunk))
        )
        db.session.execute(delete(Confirmation).where(Confirmation.id.in_(chunk)))
    return len(ids)
