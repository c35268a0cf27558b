"""CSV exports of a campaign's results, safe to open in Excel, streamed a batch at a time."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator

from sqlalchemy import and_, func, select

from parentlink.campaigns.models import Campaign, Confirmation, Invitation
from parentlink.db import db
from parentlink.directory.models import Contact, Pupil
from parentlink.office.queries import _audience, _per_pupil, covered_condition

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
BATCH = 1000


def safe_cell(value: object) -> str:
    """Text Excel shows as typed: a leading = + - @ (or tab/CR) cannot start a formula."""
    if value is None:
        return ""
    text = str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def _csv(header: list[str], rows: Iterable[Iterable[object]]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write("\ufeff")  # so Excel reads the names as UTF-8
    writer.writerow(header)
    for n, row in enumerate(rows, start=1):
        writer.writerow([safe_cell(v) for v in row])
        if n % BATCH == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def pupils_csv(campaign: Campaign) -> Iterator[str]:
    per_pupil = _per_pupil(campaign).subquery()
    covered = covered_condition(campaign, per_pupil)
    query = (
        select(
            Pupil.mis_id,
            Pupil.first_name,
            Pupil.last_name,
            Pupil.year_group,
            Pupil.class_name,
            covered,
            func.coalesce(per_pupil.c.invited, 0),
            func.coalesce(per_pupil.c.confirmed, 0),
        )
        .outerjoin(per_pupil, per_pupil.c.pupil_id == Pupil.id)
        .where(_audience(campaign))
        .add_columns(Pupil.id)
    )
    rows = (
        (mis, first, last, year, cls, "yes" if done else "no", invited, confirmed)
        for mis, first, last, year, cls, done, invited, confirmed, _id in _batches(query, Pupil.id)
    )
    header = ["Pupil MIS id", "First name", "Last name", "Year group", "Class", "Covered",
              "Carers asked", "Carers confirmed"]  # fmt: skip
    return _csv(header, rows)


def contacts_csv(campaign: Campaign) -> Iterator[str]:
    query = (
        select(
            Contact.mis_id,
            Contact.first_name,
            Contact.last_name,
            Contact.mobile,
            Contact.email,
            Invitation.status,
            Invitation.sent_at,
            Invitation.opened_at,
            Invitation.reminders_sent,
            Confirmation.confirmed_at,
            Confirmation.channel,
            Confirmation.reference,
            Confirmation.typed_name,
        )
        .join(Contact, Contact.id == Invitation.contact_id)
        .outerjoin(
            Confirmation,
            and_(Confirmation.invitation_id == Invitation.id, Confirmation.withdrawn_at.is_(None)),
        )
        .where(Invitation.campaign_id == campaign.id)
        .add_columns(Invitation.id)
    )
    rows = (
        (
            r.mis_id,
            r.first_name,
            r.last_name,
            r.mobile,
            r.email,
            r.status.value,
            _iso(r.sent_at),
            _iso(r.opened_at),
            r.reminders_sent,
            _iso(r.confirmed_at),
            r.channel.value if r.channel else "",
            r.reference,
            r.typed_name,
        )  # fmt: skip
        for r in _batches(query, Invitation.id)
    )
    header = ["Contact MIS id", "First name", "Last name", "Mobile", "Email", "Status", "Sent",
              "Opened", "Reminders", "Confirmed", "How", "Reference", "Name typed"]  # fmt: skip
    return _csv(header, rows)


def _batches(query, key):
    """Rows in key order, one short query per batch: the response streams after the request's
    transaction has ended, so no server-side cursor may span it."""
    last = None
    while True:
        batch_query = query.order_by(key).limit(BATCH)
        if last is not None:
            batch_query = batch_query.where(key > last)
        rows = db.session.execute(batch_query).all()
        yield from rows
        if len(rows) < BATCH:
            return
        last = rows[-1][-1]


def _iso(value) -> str:
    return value.isoformat(timespec="seconds") if value else ""
