"""Writing validated rows, in two steps: `plan_families` reads the school's pupils, carers
and links (one query each) and works out in memory everything the file changes — pupils
and carers added or updated, links added, changed, removed, contact stopped, priorities —
and `apply` writes that plan in bulk (one executemany per table and kind of change). The
preview is the plan alone; the commit is the same plan, applied, so they cannot disagree.
Flushes; never commits."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import delete, insert, select, update

from parentlink.campaigns.restrictions import would_stop
from parentlink.core.clock import now
from parentlink.db import db
from parentlink.directory.models import Contact, Pupil, PupilContact, failed_detail
from parentlink.directory.services import StoppedLink, stop_links

_PUPIL = ("first_name", "last_name", "year_group", "class_name")
_CONTACT = ("first_name", "last_name", "mobile", "email", "preferred_channel")
_LINK = ("relationship_label", "parental_responsibility", "court_order_restriction", "priority")


@dataclass
class Plan:
    school_id: int
    pupils: dict[str, dict]  # the school's pupils by MIS id, as they will be (new ones too)
    contacts: dict[str, dict]
    changed: dict[type, dict[int, dict]] = field(default_factory=dict)  # model -> id -> values
    new_pupils: dict[str, dict] = field(default_factory=dict)
    new_contacts: dict[str, dict] = field(default_factory=dict)
    new_links: dict[tuple[str, str], dict] = field(default_factory=dict)  # by MIS ids
    removed_links: list[int] = field(default_factory=list)
    stop: dict[int, set[int]] = field(default_factory=dict)  # contact id -> pupil ids

    def change(self, model, row_id: int, values: dict) -> None:
        self.changed.setdefault(model, {}).setdefault(row_id, {}).update(values)


def _existing(model, columns: tuple[str, ...], school_id: int) -> list[dict]:
    query = select(model.id, *(getattr(model, c) for c in columns))
    rows = db.session.execute(query.where(model.school_id == school_id).order_by(model.id))
    return [row._asdict() for row in rows]


def plan_families(school_id: int, rows, summary, pupils_in_file: set[str] | None) -> Plan:
    """Everything the file would change, worked out without writing; `summary` filled in."""
    from parentlink.directory.importer import RowError

    pupils = {p["mis_id"]: p for p in _existing(Pupil, ("mis_id", *_PUPIL, "left_on"), school_id)}
    contacts = {
        c["mis_id"]: c
        for c in _existing(Contact, ("mis_id", *_CONTACT, "details_flag_reason"), school_id)
    }
    plan = Plan(school_id, pupils, contacts)
    pupil_mis = {p["id"]: m for m, p in pupils.items()}
    contact_mis = {c["id"]: m for m, c in contacts.items()}
    links = {
        (pupil_mis[link["pupil_id"]], contact_mis[link["contact_id"]]): link
        for link in _existing(PupilContact, ("pupil_id", "contact_id", *_LINK), school_id)
    }
    allowed_before = {key: _allows(link) for key, link in links.items()}
    for row in rows:
        _person(plan, Pupil, pupils, plan.new_pupils, _PUPIL, row.pupil, summary)
        _person(plan, Contact, contacts, plan.new_contacts, _CONTACT, row.contact, summary)

    listed: set[tuple[str, str]] = set()
    ranked: dict[tuple[str, str], int] = {}  # the file's own priorities
    for row in rows:
        key = (row.pupil[0], row.contact[0])
        link = links.get(key)
        if link is None:
            if key not in plan.new_links:
                plan.new_links[key] = {
                    "school_id": school_id,
                    "relationship_label": row.relationship,
                    "parental_responsibility": row.parental_responsibility,
                    "court_order_restriction": bool(row.court_order),
                }
        else:
            values = {
                "relationship_label": row.relationship,
                "parental_responsibility": row.parental_responsibility,
            }
            if row.court_order:
                values["court_order_restriction"] = True
            elif row.court_order is False and link["court_order_restriction"]:
                carer, child = f"{row.contact[1]} {row.contact[2]}", row.pupil[1]
                summary.warnings.append(
                    RowError(
                        row.number,
                        f"the file shows no court order for {carer} about {child}, but one is "
                        "recorded here: it stays until an admin or the DSL clears it on the "
                        "family page",
                    )
                )
            _set(plan, PupilContact, link, values)
        if row.parental_responsibility and not (row.contact[3] or row.contact[4]):
            summary.warnings.append(
                RowError(
                    row.number,
                    f"{row.contact[1]} {row.contact[2]} has no mobile and no email: kept, but "
                    "we cannot reach them (listed on the data-quality page)",
                )
            )
        listed.add(key)
        if row.priority is not None:
            ranked[key] = row.priority
    summary.links += len(rows)
    covered = pupils_in_file if pupils_in_file is not None else {r.pupil[0] for r in rows}
    _stop(plan, links, listed, covered, allowed_before, summary)
    _set_priorities(plan, links, ranked)
    return plan


def _allows(link: dict) -> bool:
    return link["parental_responsibility"] and not link["court_order_restriction"]


def _set(plan: Plan, model, current: dict, values: dict) -> dict:
    """Change `current` (an existing row) to `values`; what changed (empty: nothing)."""
    changes = {k: v for k, v in values.items() if current[k] != v}
    if changes:
        current.update(changes)
        plan.change(model, current["id"], changes)
    return changes


def _unflag(plan: Plan, current: dict, changed: dict) -> None:
    """A flag on a carer's details is about the details the school had: new ones from the
    MIS clear it. A failure's flag names the detail that failed (models.failure_flag) and is
    cleared by a new one of that detail only; the office's own note, by either."""
    reason = current.get("details_flag_reason")
    moved = {"mobile", "email"} & changed.keys()
    if reason is None or not moved:
        return
    if failed_detail(reason) not in (None, *moved):
        return
    current["details_flag_reason"] = None
    plan.change(Contact, current["id"], {"details_flagged_at": None, "details_flag_reason": None})


def _person(plan, model, existing, new, columns, fields, summary) -> None:
    """A pupil or carer of the row: new (the first time it is seen), or changed."""
    mis_id = fields[0]
    current = existing.get(mis_id)
    if current is not None and current["id"] is None:
        return  # new, and already seen on an earlier row
    values = dict(zip(columns, fields[1:], strict=True))
    noun = "pupils" if model is Pupil else "contacts"
    if current is None:
        new[mis_id] = {"school_id": plan.school_id, "mis_id": mis_id, **values}
        existing[mis_id] = {"id": None, "mis_id": mis_id, "left_on": None, **values}
        setattr(summary, f"{noun}_added", getattr(summary, f"{noun}_added") + 1)
    elif changed := _set(plan, model, current, values):
        setattr(summary, f"{noun}_updated", getattr(summary, f"{noun}_updated") + 1)
        if model is Contact:
            _unflag(plan, current, changed)


def _stop(plan: Plan, links: dict, listed, covered, allowed_before, summary) -> None:
    """The links of covered pupils that the file no longer lists are removed; contact stops
    wherever a link that allowed it no longer does (a court order, no parental
    responsibility, or the link gone)."""
    for key, link in list(links.items()):
        if key in listed:
            if not allowed_before[key] or _allows(link):
                continue
            why = "court order" if link["court_order_restriction"] else "no parental responsibility"
        elif key[0] in covered:
            why = "no longer linked in the file"
            del links[key]
            plan.removed_links.append(link["id"])
        else:
            continue
        pupil, contact = plan.pupils[key[0]], plan.contacts[key[1]]
        summary.stopped.append(
            StoppedLink(
                f"{pupil['first_name']} {pupil['last_name']}",
                f"{contact['first_name']} {contact['last_name']}",
                why,
            )
        )
        plan.stop.setdefault(link["contact_id"], set()).add(link["pupil_id"])
    summary.links_removed = len(plan.removed_links)


def _set_priorities(plan: Plan, links: dict, ranked: dict) -> None:
    """Carers with parental responsibility first, then in the MIS's own priority order where
    the file gives one, else as they were, new ones in the order they are listed: 1, 2, 3…"""
    by_pupil: dict[str, list[tuple]] = {}
    for key, link in links.items():
        order = (not link["parental_responsibility"], ranked.get(key, 1000), 0, link["id"])
        by_pupil.setdefault(key[0], []).append((order, link))
    for index, (key, values) in enumerate(plan.new_links.items()):
        order = (not values["parental_responsibility"], ranked.get(key, 1000), 1, index)
        by_pupil.setdefault(key[0], []).append((order, values))
    for entries in by_pupil.values():
        for priority, (_order, target) in enumerate(sorted(entries, key=lambda e: e[0]), 1):
            if "id" in target:
                _set(plan, PupilContact, target, {"priority": priority})
            else:
                target["priority"] = priority


def preview_stopping(plan: Plan, summary) -> None:
    """The invitations and queued messages the commit would stop, counted without writing."""
    counted = would_stop(plan.stop)
    summary.invitations_revoked = counted.invitations_revoked
    summary.messages_cancelled = counted.messages_cancelled


def apply(plan: Plan, summary) -> None:
    """Write the plan: updates by primary key, inserts, removals, each in bulk."""
    for model, changes in plan.changed.items():
        if model is not PupilContact:
            _update(model, changes)
    pupil_ids = {m: p["id"] for m, p in plan.pupils.items() if p["id"] is not None}
    pupil_ids.update(_insert(Pupil, plan.new_pupils))
    contact_ids = {m: c["id"] for m, c in plan.contacts.items() if c["id"] is not None}
    contact_ids.update(_insert(Contact, plan.new_contacts))
    for mis_id, row_id in pupil_ids.items():
        plan.pupils[mis_id]["id"] = row_id
    _update(PupilContact, plan.changed.get(PupilContact, {}))
    for start in range(0, len(plan.removed_links), 500):
        chunk = plan.removed_links[start : start + 500]
        db.session.execute(delete(PupilContact).where(PupilContact.id.in_(chunk)))
    _forget_loaded()
    stopped = stop_links(plan.stop)
    summary.invitations_revoked = stopped.invitations_revoked
    summary.messages_cancelled = stopped.messages_cancelled
    if plan.new_links:
        db.session.execute(
            insert(PupilContact.__table__),
            [
                {**values, "pupil_id": pupil_ids[key[0]], "contact_id": contact_ids[key[1]]}
                for key, values in plan.new_links.items()
            ],
        )
    db.session.flush()


def mark_pupils(pupils: dict[int, date | None]) -> None:
    """Leavers (a date) and returners (None), by pupil id, in one executemany."""
    _update(Pupil, {pupil_id: {"left_on": left_on} for pupil_id, left_on in pupils.items()})
    _forget_loaded()


def _update(model, changes: dict[int, dict]) -> None:
    if changes:
        db.session.execute(update(model), [{"id": i, **v} for i, v in changes.items()])


def _insert(model, rows: dict[str, dict]) -> dict[str, int]:
    """Insert new pupils or carers; {MIS id: row id}. A Core executemany (no ORM state, no
    RETURNING: PostgreSQL's driver pipelines it), then their ids in one query."""
    if not rows:
        return {}
    table = model.__table__
    at = now()
    db.session.execute(insert(table), [{**values, "created_at": at} for values in rows.values()])
    school_id = next(iter(rows.values()))["school_id"]
    ids = db.session.execute(
        select(table.c.mis_id, table.c.id).where(table.c.school_id == school_id)
    )
    return {mis_id: row_id for mis_id, row_id in ids if mis_id in rows}


def _forget_loaded() -> None:
    """Pupils, carers and links already loaded in this session were written around the ORM:
    expire them so that they are read again as they now are."""
    for instance in list(db.session.identity_map.values()):
        if isinstance(instance, Pupil | Contact | PupilContact):
            db.session.expire(instance)
