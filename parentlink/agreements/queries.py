"""Reads of agreements for pages. A published (or retired) version is frozen, so its parent
clauses are kept in memory per process once read: the parent page does not load thirty clause
rows for every request.

Parents see points: the parent clauses that share a point number form one point, under the
summary of the first of them (by position); a clause without a number is a point of its own.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from parentlink.agreements.models import AgreementVersion, Audience, VersionStatus
from parentlink.db import db


@dataclass(frozen=True)
class ClauseView:
    id: int
    key: str
    summary: str
    body: str
    point: int | None = None


@dataclass(frozen=True)
class PointView:
    """One point on the parent page: its summary (the first clause's) and its clauses."""

    clauses: tuple[ClauseView, ...]

    @property
    def lead(self) -> ClauseView:
        return self.clauses[0]

    @property
    def summary(self) -> str:
        return self.lead.summary

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(c.key for c in self.clauses)


_FROZEN: dict[tuple[int, str, str], tuple[ClauseView, ...]] = {}
_POINTS: dict[tuple[ClauseView, ...], tuple[PointView, ...]] = {}


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
    views = tuple(
        ClauseView(c.id, c.key, c.summary, c.body, c.point) for c in version.clauses_for(audience)
    )
    if version.status is not VersionStatus.DRAFT and version.sha256:
        if len(_FROZEN) > 256:  # a long-running process sees a handful of versions
            _FROZEN.clear()
        _FROZEN[cache_key] = views
    return views


def points_of(clauses: tuple[ClauseView, ...]) -> tuple[PointView, ...]:
    """The clauses (in position order) grouped into points, in the order of their first clause."""
    cached = _POINTS.get(clauses)
    if cached is not None:
        return cached
    groups: dict[object, list[ClauseView]] = {}
    for clause in clauses:
        groups.setdefault(clause.key if clause.point is None else clause.point, []).append(clause)
    points = tuple(PointView(tuple(group)) for group in groups.values())
    if len(_POINTS) > 256:
        _POINTS.clear()
    _POINTS[clauses] = points
    return points


def parent_points(version: AgreementVersion) -> tuple[PointView, ...]:
    return points_of(clauses_for(version, Audience.PARENTS_CARERS))


WORDS_PER_MINUTE = 200  # a plain-English reading pace; slower readers take longer


def word_count(*texts: str) -> int:
    return sum(len(re.findall(r"\S+", text)) for text in texts)


@dataclass(frozen=True)
class Reading:
    """What the office sees while editing: the parent page's length."""

    points: int
    summary_words: int
    wording_words: int

    @property
    def minutes(self) -> int:
        """Reading the summaries, rounded up to whole minutes."""
        return max(1, math.ceil(self.summary_words / WORDS_PER_MINUTE))


def reading_of(version: AgreementVersion) -> Reading:
    points = points_of(
        tuple(
            ClauseView(c.id, c.key, c.summary, c.body, c.point)
            for c in version.clauses_for(Audience.PARENTS_CARERS)
        )
    )
    return Reading(
        points=len(points),
        summary_words=word_count(*(p.summary for p in points)),
        wording_words=word_count(*(c.body for p in points for c in p.clauses)),
    )
