"""The seeded Coates Lane social media policy: loaded faithfully, published and hashed."""

from __future__ import annotations

import hashlib
import re
import tomllib

import pytest
from sqlalchemy import func, select

from parentlink.agreements.models import (
    Agreement,
    AgreementVersion,
    Audience,
    Clause,
    VersionStatus,
)
from parentlink.agreements.services import (
    COATES_LANE_POLICY,
    AgreementFileError,
    current_version,
    load_version,
    publish,
)
from parentlink.core.states import InvalidTransition
from parentlink.db import db
from parentlink.schools.services import create_school
from tests.builders import school

POLICY_TEXT = COATES_LANE_POLICY.read_text(encoding="utf-8")
POLICY = tomllib.loads(POLICY_TEXT)
SEED_CLAUSES = POLICY["clauses"]
ONE_CLAUSE_BODY = 'Bring Coates Lane Primary School into disrepute"""'


@pytest.fixture
def school_id(ctx) -> int:
    return school().id


def _other_school_id(slug: str = "brook-green") -> int:
    return create_school(name="Brook Green Primary", short_name="Brook Green", slug=slug).id


def _stored_rows() -> tuple[int, int, int]:
    return tuple(
        db.session.scalar(select(func.count()).select_from(model))
        for model in (Agreement, AgreementVersion, Clause)
    )


def _copy_of_policy(tmp_path, name: str, *replacements: tuple[str, str]):
    text = POLICY_TEXT
    for old, new in replacements:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _relabelled(label: str) -> tuple[str, str]:
    return ('label = "1.0"', f'label = "{label}"')


# --- loading -------------------------------------------------------------------------------


def test_every_clause_is_loaded_with_its_key_section_wording_and_audiences(school_id):
    version = load_version(school_id, COATES_LANE_POLICY, actor="test")
    db.session.commit()
    db.session.expire_all()  # read back what was stored

    assert version.status is VersionStatus.DRAFT and version.sha256 is None
    assert version.label == POLICY["agreement"]["label"]
    assert version.agreement.title == "Social media policy"
    assert version.introduction == POLICY["agreement"]["introduction"].strip()
    assert (
        len(version.clauses)
        == len(SEED_CLAUSES)
        == len(re.findall(r"^\[\[clauses\]\]", POLICY_TEXT, re.M))
    )
    for position, (clause, seed) in enumerate(zip(version.clauses, SEED_CLAUSES, strict=True), 1):
        assert clause.key == seed["key"]
        assert clause.position == position
        assert clause.section == seed["section"]
        assert clause.summary == seed["summary"].strip()
        assert clause.body == seed["body"].strip()
        assert clause.audiences == {Audience(a) for a in seed["audiences"]}


def test_staff_only_clauses_are_never_shown_to_parents(school_id):
    version = load_version(school_id, COATES_LANE_POLICY, actor="test")
    staff_only = [c["key"] for c in SEED_CLAUSES if c["audiences"] == ["staff"]]
    assert "staff-no-pupil-friend-requests" in staff_only
    assert len(staff_only) >= 5

    for_parents = [c.key for c in version.clauses_for(Audience.PARENTS_CARERS)]
    assert for_parents == [c["key"] for c in SEED_CLAUSES if "parents-carers" in c["audiences"]]
    assert not set(staff_only) & set(for_parents)
    assert set(staff_only) <= {c.key for c in version.clauses_for(Audience.STAFF)}


# --- publishing and the hash --------------------------------------------------------------------


def test_publishing_freezes_the_version_with_the_sha256_of_its_canonical_form(school_id):
    version = publish(load_version(school_id, COATES_LANE_POLICY, actor="test"), actor="test")
    db.session.commit()
    db.session.expire_all()

    assert version.status is VersionStatus.PUBLISHED
    assert version.published_at is not None
    assert re.fullmatch(r"[0-9a-f]{64}", version.sha256)
    assert version.sha256 == hashlib.sha256(version.canonical_form()).hexdigest()
    assert current_version(school_id).id == version.id
    canonical = version.canonical_form().decode("utf-8")
    for seed in SEED_CLAUSES:  # the hash covers every clause's wording
        assert seed["key"] in canonical


def test_the_hash_is_the_same_for_the_same_policy_in_another_school(school_id):
    first = publish(load_version(school_id, COATES_LANE_POLICY, actor="test"), actor="test")
    second = publish(
        load_version(_other_school_id(), COATES_LANE_POLICY, actor="test"), actor="test"
    )
    db.session.commit()
    assert first.id != second.id
    assert first.sha256 == second.sha256


def test_changing_one_character_of_one_clause_changes_the_hash(school_id, tmp_path):
    original = publish(load_version(school_id, COATES_LANE_POLICY, actor="test"), actor="test")
    edited_file = _copy_of_policy(
        tmp_path,
        "edited.toml",
        _relabelled("1.1"),
        (ONE_CLAUSE_BODY, ONE_CLAUSE_BODY.replace('"""', '."""')),
    )
    edited = publish(load_version(school_id, edited_file, actor="test"), actor="test")
    # The same label and wording without the full stop, in another school: the one
    # character, not the new label, is what moves the hash.
    relabelled_file = _copy_of_policy(tmp_path, "relabelled.toml", _relabelled("1.1"))
    relabelled = publish(
        load_version(_other_school_id(), relabelled_file, actor="test"), actor="test"
    )
    db.session.commit()

    changed = [
        c.key for c, o in zip(edited.clauses, original.clauses, strict=True) if c.body != o.body
    ]
    assert changed == ["considerations-no-disrepute-to-school"]
    assert len({original.sha256, edited.sha256, relabelled.sha256}) == 3


def test_a_published_version_cannot_be_published_again(school_id, clock):
    version = publish(load_version(school_id, COATES_LANE_POLICY, actor="test"), actor="test")
    sha256, published_at = version.sha256, version.published_at
    clock.advance(days=1)
    with pytest.raises(InvalidTransition):
        publish(version, actor="test")
    assert version.status is VersionStatus.PUBLISHED
    assert (version.sha256, version.published_at) == (sha256, published_at)


def test_publishing_a_second_version_retires_the_first(school_id, tmp_path):
    first = publish(load_version(school_id, COATES_LANE_POLICY, actor="test"), actor="test")
    first_sha256 = first.sha256
    second_file = _copy_of_policy(tmp_path, "v1.1.toml", _relabelled("1.1"))
    second = publish(load_version(school_id, second_file, actor="test"), actor="test")
    db.session.commit()

    assert first.status is VersionStatus.RETIRED
    assert first.sha256 == first_sha256  # the evidence for the first round is kept
    assert second.status is VersionStatus.PUBLISHED
    assert current_version(school_id).id == second.id


def test_republishing_a_retired_or_current_version_fails_and_changes_nothing(school_id, tmp_path):
    first = publish(load_version(school_id, COATES_LANE_POLICY, actor="test"), actor="test")
    second_file = _copy_of_policy(tmp_path, "v1.1.toml", _relabelled("1.1"))
    second = publish(load_version(school_id, second_file, actor="test"), actor="test")

    with pytest.raises(InvalidTransition):
        publish(first, actor="test")
    with pytest.raises(InvalidTransition):
        publish(second, actor="test")
    assert first.status is VersionStatus.RETIRED
    assert second.status is VersionStatus.PUBLISHED  # still the current version
    db.session.flush()
    assert current_version(school_id).id == second.id


def test_loading_the_same_label_twice_is_refused(school_id):
    load_version(school_id, COATES_LANE_POLICY, actor="test")
    before = _stored_rows()
    with pytest.raises(AgreementFileError, match="version 1.0 of social-media already exists"):
        load_version(school_id, COATES_LANE_POLICY, actor="test")
    assert _stored_rows() == before


# --- malformed files ------------------------------------------------------------------------

MALFORMED = {
    "missing body": (
        ('body = """\nBring Coates Lane', 'wording = """\nBring Coates Lane'),
        r"clause 14 needs body",
    ),
    "duplicate clause key": (
        (
            'key = "staff-use-privacy-settings"',
            'key = "staff-no-pupil-friend-requests"',
        ),
        r"clause key 'staff-no-pupil-friend-requests' is used twice",
    ),
    "unknown audience": (
        ('audiences = ["staff"]\n\n# --- Cyber', 'audiences = ["pupils"]\n\n# --- Cyber'),
        r"clause 'staff-respectful-no-politics-or-religion': 'pupils' is not a valid Audience",
    ),
    "missing agreement key": (('key = "social-media"\n', ""), r"\[agreement\] needs key"),
    "not TOML": (("[agreement]", "[agreement"), r"edited\.toml: "),
}


@pytest.mark.parametrize(("replacement", "message"), MALFORMED.values(), ids=MALFORMED.keys())
def test_a_malformed_file_is_refused_clearly_and_writes_nothing(
    school_id, tmp_path, replacement, message
):
    path = _copy_of_policy(tmp_path, "edited.toml", replacement)
    with pytest.raises(AgreementFileError, match=message):
        load_version(school_id, path, actor="test")
    assert _stored_rows() == (0, 0, 0)


# --- the `parentlink agreement load` command ------------------------------------------------


@pytest.fixture
def cli_school(app):
    with app.app_context():
        school()
        db.session.commit()


def test_the_load_command_publishes_and_prints_the_sha256(app, cli_school):
    result = app.test_cli_runner().invoke(args=["agreement", "load"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        version = db.session.scalar(select(AgreementVersion))
        assert version.status is VersionStatus.PUBLISHED
        assert version.sha256 == hashlib.sha256(version.canonical_form()).hexdigest()
        assert (
            f"Version 1.0: {len(SEED_CLAUSES)} clauses, published, SHA-256 {version.sha256}."
            in result.output
        )


def test_the_load_command_can_leave_a_draft(app, cli_school):
    result = app.test_cli_runner().invoke(args=["agreement", "load", "--draft"])
    assert result.exit_code == 0, result.output
    assert "draft" in result.output and "SHA-256" not in result.output
    with app.app_context():
        assert current_version(db.session.scalar(select(AgreementVersion.school_id))) is None


def test_the_load_command_refuses_a_malformed_file_and_writes_nothing(app, cli_school, tmp_path):
    path = _copy_of_policy(tmp_path, "edited.toml", MALFORMED["duplicate clause key"][0])
    result = app.test_cli_runner().invoke(args=["agreement", "load", str(path)])
    assert result.exit_code == 1
    assert "Error: " in result.output
    assert "clause key 'staff-no-pupil-friend-requests' is used twice" in result.output
    assert "Traceback" not in result.output
    with app.app_context():
        assert _stored_rows() == (0, 0, 0)
