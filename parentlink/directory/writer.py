"""Writing validated rows: existing pupils, carers and links updated in place, new ones
inserted in bulk (a whole-school file is thousands of rows, previewed and then committed),
then the links the file no longer has removed and priorities set. Flushes; never commits."""

from __future__ import annotations

from sqlalchemy import insert, select

from parentlink.db import db
from parentlink.directory.models import Contact, Pupil, PupilContact
from parentlink.directory.services import stop_links


def write_families(school_id: int, rows, summary, pupils_in_file: set[str] | None) -> None:
    from parentlink.directory.importer import RowError

    pupils = {
        p.mis_id: p for p in db.session.scalars(select(Pupil).where(Pupil.school_id == school_id))
    }
    contacts = {
        c.mis_id: c
        for c in db.session.scalars(select(Contact).where(Contact.school_id == school_id))
    }
    links = {
        (link.pupil_id, link.contact_id): link
        for link in db.session.scalars(
            select(PupilContact).where(PupilContact.school_id == school_id)
        )
    }
    allowed_before = {key: link.may_be_invited for key, link in links.items()}
    new_pupils: dict[str, dict] = {}
    new_contacts: dict[str, dict] = {}
    for row in rows:
        _pupil(school_id, pupils, new_pupils, row, summary)
        _contact(school_id, contacts, new_contacts, row, summary)
    db.session.flush()
    pupil_ids = {mis: p.id for mis, p in pupils.items()}
    pupil_ids.update(_insert(Pupil, new_pupils))
    contact_ids = {mis: c.id for mis, c in contacts.items()}
    contact_ids.update(_insert(Contact, new_contacts))

    listed: set[tuple[int, int]] = set()
    new_links: dict[tuple[int, int], dict] = {}
    ranked: dict[tuple[int, int], int] = {}  # the file's own priorities
    for row in rows:
        key = (pupil_ids[row.pupil[0]], contact_ids[row.contact[0]])
        carer, child = f"{row.contact[1]} {row.contact[2]}", row.pupil[1]
        link = links.get(key)
        if link is None:
            new_links.setdefault(
                key,
                {
                    "school_id": school_id,
                    "pupil_id": key[0],
                    "contact_id": key[1],
                    "relationship_label": row.relationship,
                    "parental_responsibility": row.parental_responsibility,
                    "court_order_restriction": bool(row.court_order),
                },
            )
        else:
            link.relationship_label = row.relationship
            link.parental_responsibility = row.parental_responsibility
            if row.court_order:
                link.court_order_restriction = True
            elif row.court_order is False and link.court_order_restriction:
                summary.warnings.append(
                    RowError(
                        row.number,
                        f"the file shows no court order for {carer} about {child}, but one is "
                        "recorded here: it stays until an admin or the DSL clears it on the "
                        "family page",
                    )
                )
        if row.parental_responsibility and not (row.contact[3] or row.contact[4]):
            summary.warnings.append(
                RowError(
                    row.number,
                    f"{carer} has no mobile and no email: kept, but we cannot reach them "
                    "(listed on the data-quality page)",
                )
            )
        listed.add(key)
        if row.priority is not None:
            ranked[key] = row.priority
        summary.links += 1
    db.session.flush()
    present = pupils_in_file if pupils_in_file is not None else {r.pupil[0] for r in rows}
    covered = {pupil_ids[m] for m in present if m in pupil_ids}
    outcome = stop_links(links, listed, covered, allowed_before)
    summary.stopped = outcome.stopped
    summary.links_removed = outcome.links_removed
    summary.invitations_revoked = outcome.invitations_revoked
    summary.messages_cancelled = outcome.messages_cancelled
    _set_priorities(links, new_links, ranked)
    if new_links:
        db.session.execute(insert(PupilContact), list(new_links.values()))
    db.session.flush()


def _insert(model, rows: dict[str, dict]) -> dict[str, int]:
    if not rows:
        return {}
    result = db.session.execute(
        insert(model).returning(model.mis_id, model.id), list(rows.values())
    )
    return dict(result.all())


def _pupil(school_id, pupils, new, row, summary) -> None:
    mis_id, first, last, year, class_name = row.pupil
    pupil = pupils.get(mis_id)
    values = {"first_name": first, "last_name": last, "year_group": year, "class_name": class_name}
    if pupil is None:
        if mis_id not in new:
            new[mis_id] = {"school_id": school_id, "mis_id": mis_id, **values}
            summary.pupils_added += 1
        return
    if any(getattr(pupil, k) != v for k, v in values.items()):
        summary.pupils_updated += 1
        for k, v in values.items():
            setattr(pupil, k, v)


def _contact(school_id, contacts, new, row, summary) -> None:
    mis_id, first, last, mobile, email, channel = row.contact
    contact = contacts.get(mis_id)
    values = {
        "first_name": first,
        "last_name": last,
        "mobile": mobile,
        "email": email,
        "preferred_channel": channel,
    }
    if contact is None:
        if mis_id not in new:
            new[mis_id] = {"school_id": school_id, "mis_id": mis_id, **values}
            summary.contacts_added += 1
        return
    if any(getattr(contact, k) != v for k, v in values.items()):
        summary.contacts_updated += 1
        for k, v in values.items():
            setattr(contact, k, v)


def _set_priorities(links: dict, new_links: dict, ranked: dict) -> None:
    """Carers with parental responsibility first, then in the MIS's own priority order where
    the file gives one, else as they were, new ones in the order they are listed: 1, 2, 3…"""
    by_pupil: dict[int, list[tuple]] = {}
    for key, link in links.items():
        order = (not link.parental_responsibility, ranked.get(key, 1000), 0, link.id)
        by_pupil.setdefault(key[0], []).append((order, link))
    for index, (key, values) in enumerate(new_links.items()):
        order = (not values["parental_responsibility"], ranked.get(key, 1000), 1, index)
        by_pupil.setdefault(key[0], []).append((order, values))
    for entries in by_pupil.values():
        for priority, (_order, target) in enumerate(sorted(entries, key=lambda e: e[0]), 1):
            if isinstance(target, dict):
                target["priority"] = priority
            else:
                target.priority = priority
