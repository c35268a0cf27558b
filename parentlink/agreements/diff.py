"""What changed between two versions of an agreement, clause by clause (matched by stable key).

A clause is added, removed or reworded (its summary or full wording differ); a reworded
clause carries its wording as runs of kept, inserted and deleted words, so a page can mark
the change with <ins> and <del>.
"""

from __future__ import annotations

import difflib
import enum
from dataclasses import dataclass, field

from parentlink.agreements.models import AgreementVersion, Audience, Clause


class ChangeKind(enum.Enum):
    ADDED = "added"
    REMOVED = "removed"
    REWORDED = "reworded"


@dataclass(frozen=True)
class Run:
    kind: str  # "same", "ins" or "del"
    text: str


@dataclass(frozen=True)
class ClauseChange:
    kind: ChangeKind
    key: str
    old: Clause | None
    new: Clause | None
    summary_runs: list[Run] = field(default_factory=list)
    body_runs: list[Run] = field(default_factory=list)

    @property
    def clause(self) -> Clause:
        return self.new or self.old  # type: ignore[return-value]


def word_runs(old: str, new: str) -> list[Run]:
    """The new text as runs of unchanged, inserted and deleted words."""
    a, b = old.split(), new.split()
    runs: list[Run] = []
    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            runs.append(Run("same", " ".join(a[i1:i2])))
            continue
        if op in ("delete", "replace"):
            runs.append(Run("del", " ".join(a[i1:i2])))
        if op in ("insert", "replace"):
            runs.append(Run("ins", " ".join(b[j1:j2])))
    return runs


def diff_versions(
    old: AgreementVersion,
    new: AgreementVersion,
    audience: Audience = Audience.PARENTS_CARERS,
) -> list[ClauseChange]:
    """Changes for one audience, in the new version's order, removed clauses last."""
    before = {clause.key: clause for clause in old.clauses_for(audience)}
    after = {clause.key: clause for clause in new.clauses_for(audience)}
    changes: list[ClauseChange] = []
    for key, clause in after.items():
        previous = before.get(key)
        if previous is None:
            changes.append(ClauseChange(ChangeKind.ADDED, key, None, clause))
        elif (previous.summary, previous.body) != (clause.summary, clause.body):
            changes.append(
                ClauseChange(
                    ChangeKind.REWORDED,
                    key,
                    previous,
                    clause,
                    summary_runs=word_runs(previous.summary, clause.summary),
                    body_runs=word_runs(previous.body, clause.body),
                )
            )
    for key, clause in before.items():
        if key not in after:
            changes.append(ClauseChange(ChangeKind.REMOVED, key, clause, None))
    return changes
