"""What changed between two versions, clause by clause, by stable key."""

from __future__ import annotations

from parentlink.agreements.diff import ChangeKind, Run, diff_versions, word_runs
from parentlink.agreements.services import load_version, publish
from tests.builders import published_policy, school
from tests.parents.family import version_two_file


def test_added_removed_and_reworded_clauses_are_found_by_key(ctx, tmp_path):
    the_school = school()
    one = published_policy(the_school.id)
    two = publish(load_version(the_school.id, version_two_file(tmp_path), actor="t"), actor="t")
    changes = {change.key: change for change in diff_versions(one, two)}
    assert changes["ask-before-posting-photos"].kind is ChangeKind.ADDED
    assert changes["keep-children-and-families-confidential"].kind is ChangeKind.REMOVED
    reworded = changes["keep-to-the-law-online"]
    assert reworded.kind is ChangeKind.REWORDED
    assert Run("del", "1998") in reworded.body_runs
    assert Run("ins", "2018 and UK GDPR") in reworded.body_runs
    assert reworded.summary_runs == [Run("same", reworded.new.summary)]
    assert len(changes) == 3  # every other parent clause is unchanged
    assert diff_versions(one, one) == []


def test_word_runs_mark_only_what_changed():
    assert word_runs("keep it private", "keep it completely private") == [
        Run("same", "keep it"),
        Run("ins", "completely"),
        Run("same", "private"),
    ]
