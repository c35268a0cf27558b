"""Use cases for concerns: report, acknowledge, triage, assign, add to the chronology, close.

Every change adds a chronology entry and an audit event in the caller's transaction.
Nothing here commits. Concern details never go into a message: the acknowledgement says
only that the report arrived, with its reference.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import insert, select

from parentlink.concerns.models import (
    Concern,
    ConcernAttachment,
    ConcernCategory,
    ConcernEntry,
    ConcernSource,
    ConcernStatus,
    ConcernUrgency,
    ConcernView,
    EntryKind,
)
from parentlink.concerns.uploads import CleanImage, new_stored_name, write
from parentlink.core.audit import record
from parentlink.core.clock import now
from parentlink.core.tokens import new_reference
from parentlink.db import db
from parentlink.directory.models import Contact, Pupil
from parentlink.messaging.models import MessageKind
from parentlink.messaging.outbox import enqueue, render
from parentlink.office.models import Role, StaffUser
from parentlink.schools.models import School

PARENT = "Parent or carer"


class ConcernError(ValueError):
    """A change the DSL asked for that cannot be made; the message says why."""


@dataclass(frozen=True)
class Report:
    category: ConcernCategory
    description: str
    platform: str | None
    happened_on: date | None
    pupil_id: int | None


def _unused_reference() -> str:
    while True:
        reference = new_reference("C")
        if db.session.scalar(select(Concern.id).where(Concern.reference == reference)) is None:
            return reference


def report_concern(
    contact: Contact,
    report: Report,
    screenshots: list[CleanImage],
    *,
    source: ConcernSource = ConcernSource.LINK,
    actor: str | None = None,
) -> Concern:
    """A parent's report: the concern, its first chronology entry, its screenshots and the
    acknowledgement message. Screenshots must already have passed `clean_image`."""
    at = now()
    concern = Concern(
        school_id=contact.school_id,
        reference=_unused_reference(),
        contact_id=contact.id,
        pupil_id=report.pupil_id,
        category=report.category,
        description=report.description,
        platform=report.platform or None,
        happened_on=report.happened_on,
        reported_at=at,
        source=source,
    )
    db.session.add(concern)
    db.session.flush()
    _entry(concern, EntryKind.REPORTED, _reported_text(source), author=None)
    stored = []
    for image in screenshots:
        attachment = ConcernAttachment(
            school_id=concern.school_id,
            concern_id=concern.id,
            stored_name=new_stored_name(concern.school_id, image.extension),
            content_type=image.content_type,
            size_bytes=len(image.data),
            width=image.width,
            height=image.height,
            sha256=image.sha256,
            created_at=at,
        )
        db.session.add(attachment)
        stored.append((attachment.stored_name, image.data))
    db.session.flush()
    for stored_name, data in stored:  # only after every row is in place
        write(stored_name, data, db.session())
    _acknowledge_to_parent(concern, contact)
    record(
        "concern.report",
        actor=actor or f"contact:{contact.id}",
        school_id=concern.school_id,
        subject=f"concern:{concern.id}",
        source=source.value,
        screenshots=len(screenshots),
    )
    return concern


def _reported_text(source: ConcernSource) -> str:
    if source is ConcernSource.SMS:
        return "Made from a text message the parent or carer sent to the school."
    return "Reported by the parent or carer from their personal link."


def _acknowledge_to_parent(concern: Concern, contact: Contact) -> None:
    channel = contact.best_channel()
    if channel is None:
        return
    school = db.session.get(School, concern.school_id)
    rendered = render(
        MessageKind.CONCERN_ACK,
        channel,
        school=school,
        contact=contact,
        reference=concern.reference,
    )
    enqueue(
        school_id=concern.school_id,
        kind=MessageKind.CONCERN_ACK,
        channel=channel,
        contact=contact,
        rendered=rendered,
    )


def create_concern_from_text(contact_id: int, text: str, actor: StaffUser) -> Concern:
    """The office turns a parent's inbound text into a concern linked to that contact."""
    contact = db.session.get(Contact, contact_id)
    if contact is None or contact.school_id != actor.school_id:
        raise ConcernError("That contact is not in this school.")
    text = text.strip()
    if not text:
        raise ConcernError("The text message is empty.")
    report = Report(ConcernCategory.OTHER, text, "Text message", None, None)
    return report_concern(contact, report, [], source=ConcernSource.SMS, actor=f"staff:{actor.id}")


def _label(staff: StaffUser) -> str:
    return f"{staff.name} ({staff.role.value.upper()})"


def _entry(
    concern: Concern,
    kind: EntryKind,
    text: str,
    *,
    author: StaffUser | None,
    corrects: ConcernEntry | None = None,
) -> ConcernEntry:
    entry = ConcernEntry(
        school_id=concern.school_id,
        concern_id=concern.id,
        at=now(),
        author_id=author.id if author else None,
        author_label=_label(author) if author else PARENT,
        kind=kind,
        text=text,
        corrects_id=corrects.id if corrects else None,
    )
    db.session.add(entry)
    db.session.flush()
    return entry


def _audit(action: str, concern: Concern, staff: StaffUser, **detail: object) -> None:
    record(
        action,
        actor=f"staff:{staff.id}",
        school_id=concern.school_id,
        subject=f"concern:{concern.id}",
        **detail,
    )


def _move(concern: Concern, target: ConcernStatus, staff: StaffUser, text: str) -> None:
    if concern.status is target:
        return  # a double click: already there
    if concern.status is ConcernStatus.CLOSED:
        raise ConcernError("This concern is closed; add an entry instead.")
    concern.move_to(target, now())
    _entry(concern, EntryKind.STATUS, text, author=staff)
    _audit("concern.status", concern, staff, status=target.value)


def acknowledge(concern: Concern, staff: StaffUser) -> None:
    _move(concern, ConcernStatus.ACKNOWLEDGED, staff, "Acknowledged.")


def start_work(concern: Concern, staff: StaffUser) -> None:
    _move(concern, ConcernStatus.IN_PROGRESS, staff, "Work started.")


def close(concern: Concern, staff: StaffUser, outcome: str) -> None:
    outcome = outcome.strip()
    if not outcome:
        raise ConcernError("Please write the outcome before closing.")
    if concern.status is ConcernStatus.CLOSED:
        raise ConcernError("This concern is already closed.")
    concern.outcome = outcome
    _move(concern, ConcernStatus.CLOSED, staff, "Closed.")
    _entry(concern, EntryKind.OUTCOME, outcome, author=staff)


def add_entry(
    concern: Concern, staff: StaffUser, text: str, *, corrects_id: int | None = None
) -> ConcernEntry:
    text = text.strip()
    if not text:
        raise ConcernError("Please write the entry.")
    corrects = None
    if corrects_id is not None:
        corrects = db.session.get(ConcernEntry, corrects_id)
        if corrects is None or corrects.concern_id != concern.id:
            raise ConcernError("The entry to correct is not in this concern's chronology.")
    kind = EntryKind.CORRECTION if corrects else EntryKind.NOTE
    entry = _entry(concern, kind, text, author=staff, corrects=corrects)
    _audit("concern.entry", concern, staff, entry=entry.id, kind=kind.value)
    return entry


def triage(
    concern: Concern,
    staff: StaffUser,
    *,
    category: ConcernCategory,
    urgency: ConcernUrgency,
    pupil_id: int | None,
) -> None:
    if pupil_id is not None:
        pupil = db.session.get(Pupil, pupil_id)
        if pupil is None or pupil.school_id != concern.school_id:
            raise ConcernError("That pupil is not in this school.")
    changes = []
    if concern.category is not category:
        changes.append(f"category {concern.category.value} → {category.value}")
    if concern.urgency is not urgency:
        before = concern.urgency.value if concern.urgency else "not set"
        changes.append(f"urgency {before} → {urgency.value}")
    if concern.pupil_id != pupil_id:
        changes.append("pupil changed")
    if not changes:
        return
    concern.category, concern.urgency, concern.pupil_id = category, urgency, pupil_id
    _entry(concern, EntryKind.TRIAGE, "Triage: " + "; ".join(changes) + ".", author=staff)
    _audit("concern.triage", concern, staff, changes=changes)


def dsl_users(school_id: int) -> list[StaffUser]:
    return list(
        db.session.scalars(
            select(StaffUser)
            .where(
                StaffUser.school_id == school_id,
                StaffUser.role == Role.DSL,
                StaffUser.active.is_(True),
            )
            .order_by(StaffUser.name)
        )
    )


def assign(concern: Concern, staff: StaffUser, assignee_id: int) -> None:
    assignee = db.session.get(StaffUser, assignee_id)
    if (
        assignee is None
        or assignee.school_id != concern.school_id
        or assignee.role is not Role.DSL
        or not assignee.active
    ):
        raise ConcernError("A concern can only be assigned to a safeguarding lead (DSL).")
    if concern.assigned_to_id == assignee.id:
        return
    concern.assigned_to_id = assignee.id
    _entry(concern, EntryKind.ASSIGNMENT, f"Assigned to {assignee.name}.", author=staff)
    _audit("concern.assign", concern, staff, assignee=assignee.id)


def record_view(concern: Concern, staff: StaffUser, what: str) -> None:
    db.session.add(
        ConcernView(
            school_id=concern.school_id,
            concern_id=concern.id,
            staff_id=staff.id,
            at=now(),
            what=what,
        )
    )


def record_export(staff: StaffUser, concern_ids: list[int]) -> None:
    """The CSV counts as a view of every concern in it."""
    at = now()
    if concern_ids:
        db.session.execute(
            insert(ConcernView),
            [
                {
                    "school_id": staff.school_id,
                    "concern_id": cid,
                    "staff_id": staff.id,
                    "at": at,
                    "what": "export",
                }
                for cid in concern_ids
            ],
        )
    record(
        "concern.export",
        actor=f"staff:{staff.id}",
        school_id=staff.school_id,
        rows=len(concern_ids),
    )
