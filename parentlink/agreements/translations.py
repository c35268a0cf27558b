"""A school's translations of a version's parent clauses, loaded from a file:

    [translation]
    agreement = "social-media"   # the agreement's key
    label = "1.0"                # the version
    language = "pl"              # one of the interface languages
    made_by = "…"                # who translated it (shown to the office)
    reviewed = false             # true: the school has checked it

    [[clauses]]
    key = "keep-to-the-law-online"
    summary = "…"                # the point's summary: needed on a point's first clause only
    body = "…"

Loading again replaces that version's translations in that language. Clauses left out are
shown in English. The English wording stays the binding one: a translated point links to it.
The seeded Coates Lane policy ships translations in every language (seed/translations/).
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from sqlalchemy import delete, select, update

from parentlink.agreements.models import (
    Agreement,
    AgreementVersion,
    Audience,
    Clause,
    ClauseTranslation,
)
from parentlink.agreements.queries import clauses_for, points_of
from parentlink.core.audit import record
from parentlink.core.clock import now
from parentlink.core.i18n import DEFAULT_LANGUAGE, LANGUAGES
from parentlink.db import db

SEED_TRANSLATIONS = Path(__file__).resolve().parent / "seed" / "translations"
MACHINE_ASSISTED = "ParentLink project (machine-assisted)"


class TranslationFileError(ValueError):
    """The translation file cannot be loaded; says why. Nothing was written."""


def load_translation(school_id: int, path: Path, *, actor: str) -> tuple[AgreementVersion, int]:
    try:
        document = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise TranslationFileError(f"{path}: {exc}") from exc
    head = document.get("translation") or {}
    for key in ("agreement", "label", "language"):
        if not head.get(key):
            raise TranslationFileError(f"{path}: [translation] needs {key}")
    language = head["language"]
    if language not in LANGUAGES or language == DEFAULT_LANGUAGE:
        choices = ", ".join(code for code in LANGUAGES if code != DEFAULT_LANGUAGE)
        raise TranslationFileError(f"{path}: language must be one of {choices}")
    version = db.session.scalar(
        select(AgreementVersion)
        .join(Agreement)
        .where(
            Agreement.school_id == school_id,
            Agreement.key == head["agreement"],
            AgreementVersion.label == head["label"],
        )
    )
    if version is None:
        raise TranslationFileError(f"{path}: no version {head['label']} of {head['agreement']}")
    clauses = {c.key: c for c in version.clauses_for(Audience.PARENTS_CARERS)}
    leads = {p.lead.key for p in points_of(clauses_for(version, Audience.PARENTS_CARERS))}
    made_by = str(head.get("made_by") or actor)[:200]
    reviewed = head.get("reviewed") is True
    items = document.get("clauses") or []
    if not items:
        raise TranslationFileError(f"{path}: no [[clauses]]")
    rows = []
    for number, item in enumerate(items, start=1):
        clause = clauses.get(item.get("key", ""))
        if clause is None:
            raise TranslationFileError(
                f"{path}: clause {number}: {item.get('key')!r} is not a parent clause of "
                f"version {version.label}"
            )
        summary = (item.get("summary") or "").strip()
        if (clause.key in leads and not summary) or not (item.get("body") or "").strip():
            raise TranslationFileError(f"{path}: clause {item['key']!r} needs summary and body")
        rows.append(
            ClauseTranslation(
                school_id=school_id,
                clause_id=clause.id,
                language=language,
                summary=summary,
                body=item["body"].strip(),
                made_by=made_by,
                reviewed_at=now() if reviewed else None,
                reviewed_by=actor if reviewed else None,
            )
        )
    ids = [c.id for c in clauses.values()]
    bump_revision(version)
    db.session.execute(
        delete(ClauseTranslation).where(
            ClauseTranslation.clause_id.in_(ids), ClauseTranslation.language == language
        )
    )
    db.session.add_all(rows)
    db.session.flush()
    record(
        "agreement.translate",
        actor=actor,
        school_id=school_id,
        subject=f"version:{version.id}",
        language=language,
        clauses=len(rows),
    )
    return version, len(rows)


def bump_revision(version: AgreementVersion) -> None:
    """A translation changed: the parent pages kept per process are keyed by this number."""
    db.session.execute(  # in SQL: two changes at once both count
        update(AgreementVersion)
        .where(AgreementVersion.id == version.id)
        .values(translations_revision=AgreementVersion.translations_revision + 1)
        .execution_options(synchronize_session=False)
    )
    db.session.expire(version, ["translations_revision"])


def load_seed_translations(school_id: int, *, actor: str) -> list[str]:
    """The shipped translations of the seeded policy (its version must be loaded): the
    languages loaded."""
    loaded = []
    for path in sorted(SEED_TRANSLATIONS.glob("*.toml")):
        load_translation(school_id, path, actor=actor)
        loaded.append(path.suffixes[-2].lstrip("."))
    return loaded


def translations_for(version_id: int, language: str) -> dict[int, ClauseTranslation]:
    """Clause id -> its translation in `language` (empty for English)."""
    if language == DEFAULT_LANGUAGE:
        return {}
    rows = db.session.scalars(
        select(ClauseTranslation)
        .join(Clause, Clause.id == ClauseTranslation.clause_id)
        .where(Clause.version_id == version_id, ClauseTranslation.language == language)
    )
    return {row.clause_id: row for row in rows}
