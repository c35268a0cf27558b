"""Reads of agreements for pages. A published (or retired) version is frozen, so its parent
clauses are kept in memory per process once read: the parent page does not load thirty clause
rows for every request."""

from __future__ import annotations

from dataclasses import dataclass

from parentlink.agreements.models import AgreementVersion, Audience, VersionStatus
from parentlink.db import db


@dataclass(frozen=True)
class ClauseView:
    id: int
    key: str
    summary: str
    body: str


_FROZEN: dict[tuple[int, str, str], tuple[ClauseView, ...]] = {}


def frozen_clauses(version_id: int, sha256: str | None, audience: Audience):
    """clauses_for by the version's id and hash, without loading the version when kept."""
    cached = _FROZEN.get((version_id, sha256 or "", audience.value))
    if cached is not None:
        return cached
    return clauses_for(db.session.get(AgreementVersion, version_id), audience)


def clauses_for(version: AgreementVersion, audience: Audience) -> tuple[ClauseView, ...]:
    cache_key = (version.id, version.sha256 or "", audience.value)
    cached = _FROZEN.get(cache_key)
    if cached is not None:
        return cached
    views = tuple(ClauseView(c.id, c.key, c.summary, c.body) for c in version.clauses_for(audience))
    if version.status is not VersionStatus.DRAFT and version.sha256:
        if len(_FROZEN) > 256:  # a long-running process sees a handful of versions
            _FROZEN.clear()
        _FROZEN[cache_key] = views
    return views
