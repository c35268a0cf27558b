"""The office's side of translations: what each language covers and who made it, adding and
correcting a translation on the agreement pages, marking it reviewed by the school, and the
school's choice to send family messages in each family's language."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from parentlink.agreements.models import AgreementVersion, Audience, Clause, ClauseTranslation
from parentlink.agreements.queries import clauses_for, points_of
from parentlink.agreements.translations import bump_revision
from parentlink.core.audit import record
from parentlink.core.clock import now
from parentlink.core.i18n import DEFAULT_LANGUAGE, LANGUAGES
from parentlink.db import db

TEXT_MAX = 10_000


class TranslationEditError(ValueError):
    """The translation cannot be saved as typed; says which clause and why. Nothing changed."""


@dataclass(frozen=True)
class LanguageStatus:
    code: str
    name: str
    translated: int  # parent clauses with a translation
    clauses: int  # parent clauses
    made_by: tuple[str, ...]
    reviewed: int  # of the translated ones


def _rows(version: AgreementVersion, language: str) -> dict[int, ClauseTranslation]:
    rows = db.session.scalars(
        select(ClauseTranslation)
        .join(Clause, Clause.id == ClauseTranslation.clause_id)
        .where(Clause.version_id == version.id, ClauseTranslation.language == language)
    )
    return {row.clause_id: row for row in rows}


def overview(version: AgreementVersion) -> list[LanguageStatus]:
    parent = version.clauses_for(Audience.PARENTS_CARERS)
    statuses = []
    for code, language in LANGUAGES.items():
        if code == DEFAULT_LANGUAGE:
            continue
        rows = _rows(version, code)
        statuses.append(
            LanguageStatus(
                code=code,
                name=language.name,
                translated=len(rows),
                clauses=len(parent),
                made_by=tuple(sorted({r.made_by or "not recorded" for r in rows.values()})),
                reviewed=sum(1 for r in rows.values() if r.reviewed),
            )
        )
    return statuses


def editable(version: AgreementVersion, language: str) -> list[tuple[Clause, bool, object]]:
    """(clause, is the first of its point, its translation or None) for each parent clause."""
    leads = {p.lead.id for p in points_of(clauses_for(version, Audience.PARENTS_CARERS))}
    rows = _rows(version, language)
    return [
        (clause, clause.id in leads, rows.get(clause.id))
        for clause in version.clauses_for(Audience.PARENTS_CARERS)
    ]


def save(
    version: AgreementVersion,
    language: str,
    typed: dict[int, tuple[str, str]],
    *,
    reviewed: bool,
    actor: str,
    editor: str,
) -> int:
    """Add, correct or remove (both boxes empty) each clause's translation, all or nothing.
    A changed text is made by `editor` (a name) and needs reviewing again; `reviewed` marks
    the whole language as checked by the school. Returns the clauses translated."""
    if language not in LANGUAGES or language == DEFAULT_LANGUAGE:
        raise TranslationEditError("choose one of the languages parents can read")
    items = editable(version, language)
    for number, (clause, lead, _) in enumerate(items, start=1):
        summary, body = (text.strip() for text in typed.get(clause.id, ("", "")))
        if summary and not lead:
            raise TranslationEditError(
                f"clause {number}: only the first clause of a point has a summary"
            )
        if (summary or body) and not body:
            raise TranslationEditError(f"clause {number}: add its full wording too")
        if body and lead and not summary:
            raise TranslationEditError(f"clause {number}: add the point's summary too")
        if len(summary) > TEXT_MAX or len(body) > TEXT_MAX:
            raise TranslationEditError(f"clause {number}: keep it under 10,000 characters")
    at, count = now(), 0
    for clause, _, row in items:
        summary, body = (text.strip() for text in typed.get(clause.id, ("", "")))
        if not body:
            if row is not None:
                db.session.delete(row)
            continue
        count += 1
        if row is None:
            row = ClauseTranslation(
                school_id=version.school_id, clause_id=clause.id, language=language
            )
            db.session.add(row)
        if (row.summary, row.body) != (summary, body):
            row.summary, row.body, row.made_by = summary, body, editor[:200]
            row.reviewed_at = row.reviewed_by = None
        if reviewed and row.reviewed_at is None:
            row.reviewed_at, row.reviewed_by = at, editor[:120]
    bump_revision(version)
    db.session.flush()
    record("agreement.translation_edit", actor=actor, school_id=version.school_id,
           subject=f"version:{version.id}", language=language, clauses=count,
           reviewed=reviewed)  # fmt: skip
    return count


def set_family_language(school, on: bool, *, actor: str) -> None:
    if school.messages_in_family_language != on:
        school.messages_in_family_language = on
        db.session.flush()
        record("school.settings", actor=actor, school_id=school.id,
               subject=f"school:{school.id}", messages_in_family_language=on)  # fmt: skip
