"""Changing the agreement: a new draft copied from the published version, its clauses edited
one by one (summary, full wording, audience, order, the parent point it belongs to), then
published as minor or major."""

from __future__ import annotations

from parentlink.agreements.models import (
    AgreementVersion,
    Audience,
    Clause,
    VersionStatus,
)
from parentlink.core.audit import record
from parentlink.db import db


class DraftError(ValueError):
    """The change cannot be made as asked; the message says why."""


def _next_label(version: AgreementVersion) -> str:
    taken = {v.label for v in version.agreement.versions}
    major, _, minor = version.label.partition(".")
    n = int(minor) if minor.isdigit() else 0
    while True:
        n += 1
        label = f"{major}.{n}"
        if label not in taken:
            return label


def new_draft(version: AgreementVersion, *, actor: str) -> AgreementVersion:
    """A draft copy of a published version; only one draft at a time."""
    if version.status is not VersionStatus.PUBLISHED:
        raise DraftError("a new draft starts from the published version")
    if any(v.status is VersionStatus.DRAFT for v in version.agreement.versions):
        raise DraftError("there is already a draft: edit that one")
    draft = AgreementVersion(
        school_id=version.school_id,
        agreement_id=version.agreement_id,
        label=_next_label(version),
        introduction=version.introduction,
        clauses=[
            Clause(
                key=c.key,
                position=c.position,
                section=c.section,
                summary=c.summary,
                body=c.body,
                audience_list=c.audience_list,
                point=c.point,
            )
            for c in version.clauses
        ],
    )
    db.session.add(draft)
    db.session.flush()
    record("agreement.draft", actor=actor, school_id=version.school_id,
           subject=f"version:{draft.id}", source=version.label)  # fmt: skip
    return draft


def edit_clause(
    clause: Clause,
    *,
    summary: str,
    body: str,
    audiences: set[Audience],
    position: int,
    actor: str,
    point: int | None = None,
) -> None:
    clause.version.ensure_editable()
    summary, body = summary.strip(), body.strip()
    if not summary or not body:
        raise DraftError("a clause needs a summary and its full wording")
    if not audiences:
        raise DraftError("choose who the clause is for")
    if not 1 <= position <= 1000:
        raise DraftError("the order must be a number from 1")
    if point is not None and not 1 <= point <= 1000:
        raise DraftError("the point must be a number from 1, or empty")
    clause.summary, clause.body, clause.position = summary, body, position
    clause.point = point
    clause.audiences = audiences
    db.session.flush()
    record("agreement.clause_edit", actor=actor, school_id=clause.version.school_id,
           subject=f"clause:{clause.id}", key=clause.key)  # fmt: skip
