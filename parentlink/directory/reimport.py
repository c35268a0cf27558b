"""One import pipeline for the office and the `parentlink import` command: read the file as
exported, map its columns, preview (the import worked out against the database and not
written), then an all-or-nothing commit of the same plan.

Re-imports update pupils and contacts by their MIS ids, add new starters, remove the links
the file no longer has (and stop contact through them), and, for a whole-school file, mark
the pupils missing from it as leavers (and bring back a returning one). The remembered
column mapping changes only when an import succeeds.
"""

from __future__ import annotations

import gc
import json
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy import func, select

from parentlink.campaigns.restrictions import stop_contact, would_stop
from parentlink.core.audit import record
from parentlink.core.clock import now
from parentlink.db import db
from parentlink.directory import writer
from parentlink.directory.importer import (
    ImportRejected,
    ImportSummary,
    RowError,
    check_records,
    plan_import,
)
from parentlink.directory.mis import FileProblem, Prepared, guess_mapping, prepare, read_headers
from parentlink.directory.models import ColumnMapping, ImportUpload, Pupil, PupilContact
from parentlink.directory.services import StoppedLink
from parentlink.schools.models import School
from parentlink.schools.sending import international_mobiles_allowed

LEAVER_SHARE_NEEDING_CONFIRMATION = 0.10


@dataclass(frozen=True)
class Leaver:
    mis_id: str
    first_name: str
    last_name: str
    class_name: str


@dataclass
class Outcome:
    prepared: Prepared | None
    summary: ImportSummary | None = None
    errors: list[RowError] = field(default_factory=list)
    warnings: list[RowError] = field(default_factory=list)
    leavers: list[Leaver] = field(default_factory=list)
    returners: int = 0
    current_pupils: int = 0  # before the import
    leavers_carers_stopped: int = 0  # open invitations narrowed or revoked for leavers

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def many_leavers(self) -> bool:
        """More than a tenth of the school would leave: the office must confirm it."""
        share = len(self.leavers) / max(self.current_pupils, 1)
        return bool(self.leavers) and share > LEAVER_SHARE_NEEDING_CONFIRMATION

    @property
    def stopped(self) -> list[StoppedLink]:
        return self.summary.stopped if self.summary else []

    def stopped_by_pupil(self) -> list[tuple[str, list[StoppedLink]]]:
        """ "3 carers will no longer be contacted about Amelia Patel": grouped for the page."""
        grouped: dict[str, list[StoppedLink]] = {}
        for item in self.stopped:
            grouped.setdefault(item.pupil, []).append(item)
        return sorted(grouped.items())


def saved_mapping(school_id: int) -> dict[str, str]:
    row = db.session.scalar(select(ColumnMapping).where(ColumnMapping.school_id == school_id))
    return json.loads(row.mapping) if row else {}


def remember_mapping(school_id: int, mapping: dict[str, str]) -> None:
    row = db.session.scalar(select(ColumnMapping).where(ColumnMapping.school_id == school_id))
    if row is None:
        row = ColumnMapping(school_id=school_id, mapping="{}")
        db.session.add(row)
    row.mapping = json.dumps(mapping, sort_keys=True)
    row.updated_at = now()
    db.session.flush()


def choose_mapping(school_id: int, headers: list[str]) -> dict[str, str]:
    """The remembered mapping where it fits this file's headers, else a guess."""
    remembered = saved_mapping(school_id)
    guessed = guess_mapping(headers)
    return {**guessed, **{k: v for k, v in remembered.items() if v in headers}}


def mapping_for(upload: ImportUpload, headers: list[str]) -> dict[str, str]:
    """The columns chosen for this upload, else the remembered mapping or a guess."""
    if upload.mapping:
        return json.loads(upload.mapping)
    return choose_mapping(upload.school_id, headers)


def headers_of(data: bytes, sheet: str | None = None, filename: str = "") -> list[str]:
    try:
        return read_headers(data, sheet, filename)
    except FileProblem:
        return []


@contextmanager
def _collector_paused():
    """An import makes tens of thousands of small objects that live until it ends and
    form no reference cycles; CPython's cycle collector, triggered by so many, walks the
    whole process's heap again and again while the file is read (a third of the import's
    time in bench/import.py). Reference counting frees memory as usual meanwhile, and the
    collector runs again as soon as the import is worked out."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def run(
    school_id: int,
    data: bytes,
    mapping: dict[str, str],
    *,
    whole_school: bool,
    write: bool = True,
    **reading,
) -> Outcome:
    """Read, map and work out the import; with `write`, write it in the caller's transaction
    (the caller keeps or undoes it). Without, nothing is written: the preview is the same
    plan, not applied. `reading`: the file's name, the Excel sheet, the office's identity
    choices (mis.prepare)."""
    with _collector_paused():
        return _run(school_id, data, mapping, whole_school=whole_school, write=write, **reading)


def _run(school_id, data, mapping, *, whole_school, write, **reading) -> Outcome:
    school = db.session.get(School, school_id)
    abroad = international_mobiles_allowed(school)
    try:
        prepared = prepare(data, mapping, **reading, allow_international=abroad)
    except FileProblem as exc:
        return Outcome(None, errors=[RowError(1, str(exc))])
    outcome = Outcome(prepared, errors=list(prepared.errors), warnings=list(prepared.warnings))
    if any(e.row == 1 for e in outcome.errors):  # the columns themselves are wrong
        return outcome
    outcome.current_pupils = db.session.scalar(
        select(func.count()).where(Pupil.school_id == school_id, Pupil.left_on.is_(None))
    )
    try:
        rows = check_records(prepared.records, allow_international=abroad)
    except ImportRejected as exc:
        seen = {e.row for e in outcome.errors}  # one message per row is enough
        outcome.errors += [e for e in exc.errors if e.row not in seen]
    if outcome.errors:
        outcome.errors.sort(key=lambda e: e.row)
        return outcome
    outcome.summary, plan = plan_import(school, rows, prepared.pupil_ids if whole_school else None)
    outcome.warnings += outcome.summary.warnings
    outcome.warnings.sort(key=lambda w: w.row)
    marked = _leavers(plan, prepared, outcome, whole_school)
    if write:
        writer.apply(plan, outcome.summary)
        writer.mark_pupils(marked)
    else:
        writer.preview_stopping(plan, outcome.summary)
    left = {pupil_id for pupil_id, left_on in marked.items() if left_on is not None}
    outcome.leavers_carers_stopped = _stop_asking_about(left, write)
    return outcome


def _stop_asking_about(leavers: set[int], write: bool) -> int:
    """A leaver's carers' open invitations stop asking about them (queued reminders
    cancelled; a link about nobody else stops working); answered ones stay. Without
    `write`, counted the same way (restrictions.would_stop)."""
    if not leavers:
        return 0
    carers: dict[int, set[int]] = {}
    for pupil_id, contact_id in db.session.execute(
        select(PupilContact.pupil_id, PupilContact.contact_id).where(
            PupilContact.pupil_id.in_(leavers)
        )
    ):
        carers.setdefault(contact_id, set()).add(pupil_id)
    if not write:
        stopped = would_stop(carers, open_only=True)
        return stopped.invitations_narrowed + stopped.invitations_revoked
    at, changed = now(), 0
    for contact_id, pupil_ids in sorted(carers.items()):
        stopped = stop_contact(contact_id, pupil_ids, at, open_only=True)
        changed += stopped.invitations_narrowed + stopped.invitations_revoked
    return changed


def _leavers(plan, prepared: Prepared, outcome: Outcome, whole_school: bool) -> dict:
    """A pupil in the file is on roll (a returner comes back); with a whole-school file,
    a pupil missing from it has left. {pupil id: the date they left, or None}"""
    today = now().date()
    marked = {}
    for pupil in plan.pupils.values():
        if pupil["id"] is None:
            continue  # a new starter
        if pupil["mis_id"] in prepared.pupil_ids:
            if pupil["left_on"] is not None:
                marked[pupil["id"]] = None
                outcome.returners += 1
        elif whole_school and pupil["left_on"] is None:
            marked[pupil["id"]] = today
            names = (pupil["first_name"], pupil["last_name"], pupil["class_name"])
            outcome.leavers.append(Leaver(pupil["mis_id"], *names))
    return marked


def dry_run(
    school_id: int,
    data: bytes,
    mapping: dict[str, str],
    *,
    whole_school: bool,
    **reading,
) -> Outcome:
    """Everything the import would do, worked out by the same code as the commit, and not
    written."""
    return run(school_id, data, mapping, whole_school=whole_school, write=False, **reading)


def import_file(
    school_id: int,
    data: bytes,
    mapping: dict[str, str],
    *,
    actor: str,
    whole_school: bool,
    leavers_confirmed: bool = False,
    subject: str | None = None,
    **reading,
) -> Outcome:
    """All or nothing: any error (or many leavers not confirmed) leaves the database, and
    the remembered mapping, as they were."""
    savepoint = db.session.begin_nested()
    outcome = run(school_id, data, mapping, whole_school=whole_school, **reading)
    if outcome.ok and outcome.many_leavers and not leavers_confirmed:
        outcome.errors.append(
            RowError(
                1,
                f"{len(outcome.leavers)} of {outcome.current_pupils} pupils would be marked as "
                "leavers: confirm that this file lists the whole school, or import a whole-school "
                "export",
            )
        )
    if not outcome.ok:
        savepoint.rollback()
        return outcome
    savepoint.commit()
    remember_mapping(school_id, mapping)
    s = outcome.summary
    record(
        "directory.import",
        actor=actor,
        school_id=school_id,
        subject=subject,
        pupils_added=s.pupils_added,
        pupils_updated=s.pupils_updated,
        contacts_added=s.contacts_added,
        contacts_updated=s.contacts_updated,
        links_removed=s.links_removed,
        contact_stopped=len(s.stopped),
        invitations_revoked=s.invitations_revoked,
        messages_cancelled=s.messages_cancelled,
        leavers=len(outcome.leavers),
        warnings=len(outcome.warnings),
    )
    return outcome


def preview(upload: ImportUpload, mapping: dict[str, str]) -> Outcome:
    return dry_run(upload.school_id, upload.content, mapping, whole_school=True, **_reading(upload))


def _reading(upload: ImportUpload) -> dict:
    return {
        "filename": upload.filename,
        "sheet": upload.sheet,
        "identity_choices": json.loads(upload.identity_choices or "{}"),
    }


def commit(
    upload: ImportUpload, mapping: dict[str, str], *, actor: str, leavers_confirmed: bool = False
) -> Outcome:
    if upload.committed_at is not None:
        return Outcome(None, errors=[RowError(1, "this file has already been imported")])
    outcome = import_file(
        upload.school_id,
        upload.content,
        mapping,
        actor=actor,
        whole_school=True,
        **_reading(upload),
        leavers_confirmed=leavers_confirmed,
        subject=f"import:{upload.id}",
    )
    if outcome.ok:
        upload.committed_at = now()
        upload.content = b""  # the families are in the tables now; keep no second copy
    return outcome
