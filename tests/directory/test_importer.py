"""Families in from the MIS: the CSV import, all or nothing, by function and by command."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from parentlink.db import db
from parentlink.directory.importer import COLUMNS, ImportRejected, import_families
from parentlink.directory.models import Channel, Contact, Pupil, PupilContact
from parentlink.schools.models import School
from tests.builders import csv_bytes, family_row, school

HEADER = ",".join(COLUMNS)


@pytest.fixture
def school_id(ctx) -> int:
    the_school = school()
    db.session.commit()
    return the_school.id


def _counts() -> dict[str, int]:
    return {
        model.__tablename__: db.session.scalar(select(func.count()).select_from(model))
        for model in (Pupil, Contact, PupilContact)
    }


def _contact(mis_id: str) -> Contact:
    return db.session.scalar(select(Contact).where(Contact.mis_id == mis_id))


def _priorities() -> dict[tuple[str, str], int]:
    rows = db.session.execute(
        select(Pupil.mis_id, Contact.mis_id, PupilContact.priority)
        .join(Pupil, Pupil.id == PupilContact.pupil_id)
        .join(Contact, Contact.id == PupilContact.contact_id)
    )
    return {(pupil, contact): priority for pupil, contact, priority in rows}


def _rejected(school_id: int, data: bytes) -> list[str]:
    with pytest.raises(ImportRejected) as info:
        import_families(school_id, data)
    return [str(error) for error in info.value.errors]


def _good_families() -> list[dict[str, str]]:
    """Two pupils, siblings sharing their mother; the father is listed last."""
    return [
        family_row(
            "P1",
            "C1",
            pupil_first_name="Amelia",
            mobile="07700 900001",
            email="  Carer1@EXAMPLE.com ",
        ),
        family_row(
            "P2",
            "C1",
            pupil_first_name="Oscar",
            year_group="Reception",
            **{"class": "Wrens"},
            mobile="07700 900001",
            email="  Carer1@EXAMPLE.com ",
        ),
        family_row(
            "P2",
            "C3",
            pupil_first_name="Oscar",
            year_group="Reception",
            **{"class": "Wrens"},
            relationship="Grandmother",
            parental_responsibility="no",
            mobile="",
            email="gran@example.com",
            preferred_channel="",
        ),
        family_row(
            "P1",
            "C2",
            pupil_first_name="Amelia",
            relationship="Father",
            mobile="+44 (0)7700 900002",
            email="",
        ),
    ]


def _many_good_rows(n: int = 30) -> list[dict[str, str]]:
    return [family_row(f"P{i}", f"C{i}") for i in range(1, n + 1)]


# --- a good file ---------------------------------------------------------------------------


def test_a_good_file_creates_pupils_contacts_and_links(school_id):
    summary = import_families(school_id, csv_bytes(_good_families()))
    db.session.commit()

    assert (summary.pupils_added, summary.contacts_added, summary.links) == (2, 3, 4)
    assert (summary.pupils_updated, summary.contacts_updated) == (0, 0)
    assert _counts() == {"pupil": 2, "contact": 3, "pupil_contact": 4}

    oscar = db.session.scalar(select(Pupil).where(Pupil.mis_id == "P2"))
    assert (oscar.first_name, oscar.year_group, oscar.class_name) == ("Oscar", "Reception", "Wrens")
    assert oscar.school_id == school_id

    mother, father, gran = _contact("C1"), _contact("C2"), _contact("C3")
    assert mother.mobile == "+447700900001"
    assert mother.email == "Carer1@example.com"  # trimmed, domain lower-cased
    assert mother.preferred_channel is Channel.SMS
    assert (father.mobile, father.email) == ("+447700900002", None)
    assert (gran.mobile, gran.email) == (None, "gran@example.com")
    assert gran.preferred_channel is Channel.EMAIL  # no channel given and no mobile

    links = {
        (link.pupil.mis_id, link.contact.mis_id): link
        for link in db.session.scalars(select(PupilContact))
    }
    assert links["P1", "C2"].relationship_label == "Father"
    assert links["P2", "C3"].parental_responsibility is False
    assert links["P1", "C1"].parental_responsibility is True


def test_priorities_follow_the_order_carers_are_listed_with_responsibility_first(school_id):
    import_families(school_id, csv_bytes(_good_families()))
    db.session.commit()
    assert _priorities() == {
        ("P1", "C1"): 1,  # the mother is listed first for Amelia
        ("P1", "C2"): 2,  # the father, on the last row of the file
        ("P2", "C1"): 1,
        ("P2", "C3"): 2,  # the grandmother has no parental responsibility
    }


def test_siblings_share_one_contact(school_id):
    import_families(school_id, csv_bytes(_good_families()))
    db.session.commit()
    contacts = db.session.scalars(select(Contact).where(Contact.mis_id == "C1")).all()
    assert len(contacts) == 1
    assert sorted(link.pupil.first_name for link in contacts[0].links) == ["Amelia", "Oscar"]


def test_reimporting_the_same_file_adds_and_updates_nothing(school_id):
    data = csv_bytes(_good_families())
    import_families(school_id, data)
    db.session.commit()
    before, priorities = _counts(), _priorities()

    summary = import_families(school_id, data)
    db.session.commit()

    assert (summary.pupils_added, summary.pupils_updated) == (0, 0)
    assert (summary.contacts_added, summary.contacts_updated) == (0, 0)
    assert _counts() == before
    assert _priorities() == priorities


def test_reimporting_with_a_changed_mobile_updates_that_contact(school_id):
    rows = _good_families()
    import_families(school_id, csv_bytes(rows))
    db.session.commit()
    before = _counts()

    for row in rows:
        if row["contact_id"] == "C1":  # on both siblings' rows
            row["mobile"] = "07700 900555"
    summary = import_families(school_id, csv_bytes(rows))
    db.session.commit()

    assert (summary.contacts_added, summary.contacts_updated) == (0, 1)
    assert (summary.pupils_added, summary.pupils_updated) == (0, 0)
    assert _contact("C1").mobile == "+447700900555"
    assert _contact("C2").mobile == "+447700900002"
    assert _counts() == before


def test_new_details_from_the_mis_clear_the_flag_on_the_old_ones(school_id):
    from parentlink.core.clock import now
    from parentlink.office.family_status import FamilyStatus, statuses

    rows = [family_row(f"P{n}", f"C{n}") for n in (1, 2, 3)]
    import_families(school_id, csv_bytes(rows))
    flags = {
        "C1": "The mobile number failed: Twilio reported undelivered (error 30005)",
        "C2": "The mobile number failed: Twilio reported undelivered (error 30006)",
        "C3": "Mum says this is her old work email",  # the office's own note
    }
    for mis_id, reason in flags.items():
        contact = _contact(mis_id)
        contact.details_flagged_at, contact.details_flag_reason = now(), reason
    db.session.commit()
    pupils = {p.mis_id: p.id for p in db.session.scalars(select(Pupil))}
    assert statuses(school_id, [pupils["P2"]])[pupils["P2"]] is FamilyStatus.CANNOT_REACH

    rows[0]["email"] = "new1@example.com"  # not the number that failed
    rows[1]["mobile"] = "07700 900222"  # the school corrected the number in the MIS
    rows[2]["email"] = "new3@example.com"
    import_families(school_id, csv_bytes(rows))
    db.session.commit()
    db.session.expire_all()

    assert _contact("C1").details_flag_reason == flags["C1"]
    assert _contact("C2").details_flagged_at is None and _contact("C2").details_flag_reason is None
    assert _contact("C3").details_flagged_at is None
    assert statuses(school_id, [pupils["P2"]])[pupils["P2"]] is FamilyStatus.NOT_YET_ANSWERED


@pytest.mark.parametrize(
    ("spelling", "stored"),
    [
        ("Y3", "Year 3"),
        ("year 3", "Year 3"),
        (" YEAR  3 ", "Year 3"),
        ("R", "Reception"),
        ("Reception", "Reception"),
    ],
)
def test_year_group_spellings_from_different_systems_are_accepted(school_id, spelling, stored):
    import_families(school_id, csv_bytes([family_row("P1", "C1", year_group=spelling)]))
    assert db.session.scalar(select(Pupil.year_group)) == stored


def test_blank_lines_are_skipped(school_id):
    lines = csv_bytes(_many_good_rows(2)).decode().split("\r\n")
    data = "\r\n".join([lines[0], "", lines[1], "", ",,,,,,,,,,,,", lines[2], "", ""])
    summary = import_families(school_id, data.encode())
    assert summary.pupils_added == 2
    assert _counts() == {"pupil": 2, "contact": 2, "pupil_contact": 2}


def test_row_numbers_count_blank_lines_as_a_spreadsheet_does(school_id):
    lines = csv_bytes([family_row("P1", "C1"), family_row("P2", "C2", year_group="Form 2")])
    header, good, bad = lines.decode().split("\r\n")[:3]
    data = "\r\n".join([header, good, "", "", bad, ""]).encode()
    assert _rejected(school_id, data) == [
        "row 5: unknown year group 'Form 2' " + ("(expected Reception, Year 1 … Year 6)")
    ]


def test_a_file_saved_with_a_byte_order_mark_is_read(school_id):
    summary = import_families(school_id, b"\xef\xbb\xbf" + csv_bytes([family_row("P1", "C1")]))
    assert summary.pupils_added == 1


# --- bad rows: the row number and the reason, and nothing written --------------------------

BAD_ROWS = {
    "landline": ({"mobile": "020 7946 0000"}, "is a landline, which cannot receive text messages"),
    "premium": ({"mobile": "0909 8790000"}, "is a premium-rate number"),
    "malformed mobile": ({"mobile": "07700 9001"}, "'07700 9001' is not a valid phone number"),
    "bad email": ({"email": "carer.example.com"}, "is not a valid email address"),
    "empty required field": ({"pupil_last_name": ""}, "pupil_last_name must not be empty"),
    "unknown year group": ({"year_group": "Year 14"}, "unknown year group 'Year 14'"),
    "bad parental responsibility": (
        {"parental_responsibility": "maybe"},
        "parental_responsibility must be yes or no, not 'maybe'",
    ),
    "sms with no mobile": (
        {"mobile": "", "preferred_channel": "sms"},
        "preferred channel is SMS but there is no mobile number",
    ),
    "name too long": (
        {"contact_last_name": "X" * 101},
        "contact_last_name is longer than 100 characters",
    ),
}


@pytest.mark.parametrize(("values", "reason"), BAD_ROWS.values(), ids=BAD_ROWS.keys())
def test_a_bad_row_stops_the_import_with_its_row_number_and_reason(school_id, values, reason):
    rows = [*_many_good_rows(30), family_row("P99", "C99", **values)]
    errors = _rejected(school_id, csv_bytes(rows))
    assert len(errors) == 1
    assert errors[0].startswith("row 32: ")  # the header is row 1, the 30 good rows 2-31
    assert reason in errors[0]
    assert _counts() == {"pupil": 0, "contact": 0, "pupil_contact": 0}


def test_a_carer_with_no_way_to_reach_them_is_kept_with_a_warning(school_id):
    rows = [*_many_good_rows(3), family_row("P9", "C9", mobile="", email="", preferred_channel="")]
    summary = import_families(school_id, csv_bytes(rows))
    assert [str(w) for w in summary.warnings] == [
        "row 5: CarerC9 Example has no mobile and no email: kept, but we cannot reach them "
        "(listed on the data-quality page)"
    ]
    assert _contact("C9") is not None
    assert _counts() == {"pupil": 4, "contact": 4, "pupil_contact": 4}


def test_a_bad_row_leaves_families_already_imported_as_they_were(school_id):
    import_families(school_id, csv_bytes([family_row("P1", "C1")]))
    db.session.commit()
    before = _counts()

    rows = [
        family_row("P1", "C1", mobile="07700 900444"),  # would update C1
        *_many_good_rows(20)[1:],  # would add P2..P20
        family_row("P99", "C99", mobile="020 7946 0000"),
    ]
    errors = _rejected(school_id, csv_bytes(rows))
    assert errors == ["row 22: '020 7946 0000' is a landline, which cannot receive text messages"]
    assert _counts() == before
    assert _contact("C1").mobile == "+447700900001"


def test_the_same_contact_with_different_details_is_refused(school_id):
    rows = [
        family_row("P1", "C1", mobile="07700 900001"),
        family_row("P2", "C2"),
        family_row("P3", "C1", mobile="07700 900011"),
    ]
    assert _rejected(school_id, csv_bytes(rows)) == ["row 4: contact C1 differs from row 2"]
    assert _counts() == {"pupil": 0, "contact": 0, "pupil_contact": 0}


def test_the_same_pupil_with_different_details_is_refused(school_id):
    rows = [family_row("P1", "C1"), family_row("P1", "C2", year_group="Year 4")]
    assert _rejected(school_id, csv_bytes(rows)) == ["row 3: pupil P1 differs from row 2"]
    assert _counts() == {"pupil": 0, "contact": 0, "pupil_contact": 0}


def test_a_repeated_pupil_contact_pair_is_refused(school_id):
    rows = [family_row("P1", "C1"), family_row("P2", "C2"), family_row("P1", "C1")]
    assert _rejected(school_id, csv_bytes(rows)) == ["row 4: pupil P1 and contact C1 repeat row 2"]
    assert _counts() == {"pupil": 0, "contact": 0, "pupil_contact": 0}


def test_every_problem_is_listed_in_row_order(school_id):
    rows = [
        family_row("P1", "C1", parental_responsibility="perhaps"),
        family_row("P2", "C2"),
        family_row("P3", "C3", email="nobody@"),
    ]
    errors = _rejected(school_id, csv_bytes(rows))
    assert [e.split(":")[0] for e in errors] == ["row 2", "row 4"]


def test_a_missing_column_is_named(school_id):
    columns = [c for c in COLUMNS if c != "year_group"]
    data = csv_bytes(_many_good_rows(3), columns=columns)
    assert _rejected(school_id, data) == ["row 1: missing column(s): year_group"]
    assert _counts() == {"pupil": 0, "contact": 0, "pupil_contact": 0}


def test_an_empty_file_is_refused(school_id):
    assert _rejected(school_id, b"") == ["row 1: the file is empty"]
    assert _counts() == {"pupil": 0, "contact": 0, "pupil_contact": 0}


def test_a_file_with_only_a_header_is_refused(school_id):
    assert _rejected(school_id, (HEADER + "\r\n").encode()) == ["row 2: the file has no rows"]


def test_a_file_that_is_not_utf8_is_refused(school_id):
    data = csv_bytes([family_row("P1", "C1", pupil_first_name="Zoë")]).decode().encode("cp1252")
    errors = _rejected(school_id, data)
    assert errors == ["row 1: the file is not UTF-8 text; save it as CSV UTF-8"]
    assert _counts() == {"pupil": 0, "contact": 0, "pupil_contact": 0}


# --- the `parentlink import FILE` command -----------------------------------------------------


def _committed_counts(app) -> dict[str, int]:
    with app.app_context():
        return _counts()


@pytest.fixture
def cli_school(app):
    with app.app_context():
        school()
        db.session.commit()


def test_the_import_command_imports_a_good_file(app, cli_school, tmp_path):
    path = tmp_path / "families.csv"
    path.write_bytes(csv_bytes(_good_families()))
    result = app.test_cli_runner().invoke(args=["import", str(path)])
    assert result.exit_code == 0, result.output
    assert "2 pupils added" in result.output
    assert "3 contacts added" in result.output
    assert _committed_counts(app) == {"pupil": 2, "contact": 3, "pupil_contact": 4}


def test_the_import_command_reports_the_bad_row_and_imports_nothing(app, cli_school, tmp_path):
    path = tmp_path / "families.csv"
    rows = [*_many_good_rows(10), family_row("P99", "C99", mobile="020 7946 0000", email="")]
    path.write_bytes(csv_bytes(rows))
    result = app.test_cli_runner().invoke(args=["import", str(path)])
    assert result.exit_code != 0
    assert "row 12: '020 7946 0000' is a landline" in result.output
    assert "Nothing was imported" in result.output
    assert _committed_counts(app) == {"pupil": 0, "contact": 0, "pupil_contact": 0}


def test_the_import_command_reads_windows_1252_as_the_office_upload_does(app, cli_school, tmp_path):
    path = tmp_path / "families.csv"
    data = csv_bytes([family_row("P1", "C1", pupil_first_name="Zoë")]).decode().encode("cp1252")
    path.write_bytes(data)
    result = app.test_cli_runner().invoke(args=["import", str(path)])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.scalar(select(Pupil.first_name)) == "Zoë"


def test_the_import_command_needs_a_school(app, tmp_path):
    path = tmp_path / "families.csv"
    path.write_bytes(csv_bytes(_many_good_rows(1)))
    result = app.test_cli_runner().invoke(args=["import", str(path)])
    assert result.exit_code != 0
    assert "No school yet. Create one with: parentlink school create" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(School)) == 0
    assert _committed_counts(app) == {"pupil": 0, "contact": 0, "pupil_contact": 0}
