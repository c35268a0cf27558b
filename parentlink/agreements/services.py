"""Use cases for agreements: load a structured agreement file, publish a version."""

from __future__ import annotations

import tomllib
from pathlib import Path

from sqlalchemy import select

from parentlink.agreements.models import (
    VERSION_TRANSITIONS,
    Agreement,
    AgreementVersion,
    Audience,
    Clause,
    VersionStatus,
)
from parentlink.core.audit import record
from parentlink.core.clock import now
from parentlink.core.states import check_transition
from parentlink.db import db

SEED_DIR = Path(__file__).resolve().parent / "seed"
COATES_LANE_POLICY = SEED_DIR / "coates_lane_social_media.toml"


class AgreementFileError(ValueError):
    """The agreement file is not in the expected form; says where."""


def read_agreement_file(path: Path) -> dict:
    try:
        document = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise AgreementFileError(f"{path}: {exc}") from exc
    head = document.get("agreement") or {}
    for key in ("key", "title", "label"):
        if not head.get(key):
            raise AgreementFileError(f"{path}: [agreement] needs {key}")
    clauses = document.get("clauses") or []
    if not clauses:
        raise AgreementFileError(f"{path}: no [[clauses]]")
    seen: set[str] = set()
    for number, clause in enumerate(clauses, start=1):
        for key in ("key", "section", "summary", "body", "audiences"):
            if not clause.get(key):
                raise AgreementFileError(f"{path}: clause {number} needs {key}")
        if clause["key"] in seen:
            raise AgreementFileError(f"{path}: clause key {clause['key']!r} is used twice")
        seen.add(clause["key"])
        try:
            [Audience(a) for a in clause["audiences"]]
        except ValueError as exc:
            raise AgreementFileError(f"{path}: clause {clause['key']!r}: {exc}") from exc
        point = clause.get("point")
        if point is not None and (type(point) is not int or not 1 <= point <= 1000):
            raise AgreementFileError(f"{path}: clause {clause['key']!r}: point must be 1-1000")
    return document


def load_version(school_id: int, path: Path, *, actor: str) -> AgreementVersion:
    """Create a draft version from a file (and its agreement, the first time)."""
    document = read_agreement_file(path)
    head = document["agreement"]
    agreement = db.session.scalar(
        select(Agreement).where(Agreement.school_id == school_id, Agreement.key == head["key"])
    )
    if agreement is None:
        agreement = Agreement(school_id=school_id, key=head["key"], title=head["title"])
        db.session.add(agreement)
    elif any(v.label == head["label"] for v in agreement.versions):
        raise AgreementFileError(f"version {head['label']} of {head['key']} already exists")
    version = AgreementVersion(
        school_id=school_id,
        agreement=agreement,
        label=head["label"],
        introduction=head.get("introduction", "").strip(),
    )
    for position, item in enumerate(document["clauses"], start=1):
        clause = Clause(
            key=item["key"],
            position=position,
            section=item["section"],
            summary=item["summary"].strip(),
            body=item["body"].strip(),
            point=item.get("point"),
        )
        clause.audiences = {Audience(a) for a in item["audiences"]}
        version.clauses.append(clause)
    db.session.add(version)
    db.session.flush()
    record(
        "agreement.load",
        actor=actor,
        school_id=school_id,
        subject=f"version:{version.id}",
        label=version.label,
        clauses=len(version.clauses),
    )
    return version


def publish(version: AgreementVersion, *, actor: str, major: bool = True) -> AgreementVersion:
    """Freeze a draft: compute its SHA-256; the previous published version is retired."""
    # Only a draft can be published: check before retiring the current version.
    check_transition(version.status, VersionStatus.PUBLISHED, VERSION_TRANSITIONS)
    for other in version.agreement.versions:
        if other is not version and other.status.value == "published":
            other.retire()
    version.is_major = major
    version.publish(now())
    db.session.flush()
    record(
        "agreement.publish",
        actor=actor,
        school_id=version.school_id,
        subject=f"version:{version.id}",
        sha256=version.sha256,
        major=major,
    )
    return version


def current_version_id(school_id, agreement_key: str = "social-media"):
    """The id of the school's published version, as a scalar subquery to use inside another
    statement (NULL when none is published). `school_id` may be a bindparam."""
    return (
        select(AgreementVersion.id)
        .join(Agreement)
        .where(
            Agreement.school_id == school_id,
            Agreement.key == agreement_key,
            AgreementVersion.status == "published",
        )
        .scalar_subquery()
    )


def current_version(school_id: int, agreement_key: str = "social-media") -> AgreementVersion | None:
    return db.session.scalar(
        select(AgreementVersion)
        .join(Agreement)
        .where(
            Agreement.school_id == school_id,
            Agreement.key == agreement_key,
            AgreementVersion.status == "published",
        )
    )
