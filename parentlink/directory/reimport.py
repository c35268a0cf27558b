"""An import through the office: preview (a dry run in a savepoint) and an all-or-nothing commit.

Re-imports update pupils and contacts by their MIS ids, add new starters, and mark pupils
missing from a full export as leavers (and bring back a returning one)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from sqlalchemy import select

from parentlink.core.audit import record
from parentlink.core.clock import now
from parentlink.db import db
from parentlink.directory.importer import ImportRejected, ImportSummary, RowError, import_families
from parentlink.directory.mis import FileProblem, Prepared, guess_mapping, prepare
from parentlink.directory.models import ColumnMapping, ImportUpload, Pupil


@dataclass
class Outcome:
    prepared: Prepared | None
    summary: ImportSummary | None = None
    errors: list[RowError] = field(default_factory=list)
    warnings: list[RowError] = field(default_factory=list)
    leavers: list[Pupil] = field(default_factory=list)
    returners: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors


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


def mapping_for(upload: ImportUpload, headers: list[str]) -> dict[str, str]:
    """The remembered mapping where it fits this file's headers, else a guess."""
    remembered = saved_mapping(upload.school_id)
    guessed = guess_mapping(headers)
    return {**guessed, **{k: v for k, v in remembered.items() if v in headers}}


def _abroad(school_id: int) -> bool:
    from parentlink.schools.models import School
    from parentlink.schools.sending import international_mobiles_allowed

    return international_mobiles_allowed(db.session.get(School, school_id))


def _run(upload: ImportUpload, mapping: dict[str, str]) -> Outcome:
    try:
        prepared = prepare(upload.content, mapping, allow_international=_abroad(upload.school_id))
    except (FileProblem, UnicodeDecodeError) as exc:
        return Outcome(None, errors=[RowError(1, str(exc))])
    outcome = Outcome(prepared, errors=list(prepared.errors), warnings=list(prepared.warnings))
    if any(e.row == 1 for e in outcome.errors):  # the columns themselves are wrong
        return outcome
    try:
        outcome.summary = import_families(upload.school_id, prepared.canonical)
    except ImportRejected as exc:
        seen = {e.row for e in outcome.errors}  # one message per row is enough
        outcome.errors += [
            RowError(prepared.source_rows.get(e.row, e.row), e.message)
            for e in exc.errors
            if prepared.source_rows.get(e.row, e.row) not in seen
        ]
    if outcome.errors:
        outcome.errors.sort(key=lambda e: e.row)
        return outcome
    at = now()
    current = db.session.scalars(select(Pupil).where(Pupil.school_id == upload.school_id)).all()
    for pupil in current:
        if pupil.mis_id in prepared.pupil_ids:
            if pupil.left_on is not None:
                pupil.left_on = None
                outcome.returners += 1
        elif pupil.left_on is None:
            pupil.left_on = at.date()
            outcome.leavers.append(pupil)
    db.session.flush()
    return outcome


def preview(upload: ImportUpload, mapping: dict[str, str]) -> Outcome:
    """Everything the import would do, then undone: the same code as the commit."""
    savepoint = db.session.begin_nested()
    try:
        outcome = _run(upload, mapping)
        outcome.leavers = [
            Pupil(
                mis_id=p.mis_id,
                first_name=p.first_name,
                last_name=p.last_name,
                year_group=p.year_group,
                class_name=p.class_name,
            )
            for p in outcome.leavers
        ]
    finally:
        savepoint.rollback()
    return outcome


def commit(upload: ImportUpload, mapping: dict[str, str], *, actor: str) -> Outcome:
    """All or nothing: any error leaves the database as it was."""
    if upload.committed_at is not None:
        return Outcome(None, errors=[RowError(1, "this file has already been imported")])
    savepoint = db.session.begin_nested()
    outcome = _run(upload, mapping)
    if not outcome.ok:
        savepoint.rollback()
        return outcome
    savepoint.commit()
    upload.committed_at = now()
    upload.content = b""  # the families are in the tables now; keep no second copy
    remember_mapping(upload.school_id, mapping)
    s = outcome.summary
    record(
        "directory.import",
        actor=actor,
        school_id=upload.school_id,
        subject=f"import:{upload.id}",
        pupils_added=s.pupils_added,
        pupils_updated=s.pupils_updated,
        contacts_added=s.contacts_added,
        contacts_updated=s.contacts_updated,
        leavers=len(outcome.leavers),
        warnings=len(outcome.warnings),
    )
    return outcome
