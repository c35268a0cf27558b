# ruff: noqa: E501 - rows of CSV are clearer on one line each
"""A preview that protects: invisible characters cleaned, control characters refused where
they are, warnings that do not block, the file's own row numbers, the office's corrections
of who is who, and a remembered mapping that only a successful import changes."""

from __future__ import annotations

import io
import json
import re

import pytest
from sqlalchemy import select

from parentlink.db import db
from parentlink.directory import reimport
from parentlink.directory.models import ColumnMapping, Contact, Pupil
from parentlink.schools.models import Phase, School
from tests.builders import csrf_token, school, staff
from tests.office.sign_in import sign_in

HEADER = "Adno,Forename,Surname,Year,Reg,Contact Forename,Contact Surname,Relationship,Parental Responsibility,Mobile,Email\r\n"


@pytest.fixture
def school_id(ctx) -> int:
    the_school = school()
    db.session.commit()
    return the_school.id


def _run(school_id: int, text: str, **options):
    data = text.encode("utf-8")
    mapping = reimport.choose_mapping(school_id, reimport.headers_of(data))
    return reimport.dry_run(school_id, data, mapping, whole_school=False, **options)


def test_zero_width_characters_boms_and_non_breaking_spaces_are_removed(school_id):
    text = (
        HEADER
        + "1,Ann,Lee,Year 1,1A,Kim\u00a0,Lee,Mother,Yes,07700\u00a0900011,\u200bkim@example.com\u200b\r\n"
    )
    data = text.encode("utf-8")
    mapping = reimport.choose_mapping(school_id, reimport.headers_of(data))
    outcome = reimport.import_file(school_id, data, mapping, actor="t", whole_school=False)
    assert outcome.ok, outcome.errors
    kim = db.session.scalar(select(Contact))
    assert (kim.first_name, kim.mobile, kim.email) == ("Kim", "+447700900011", "kim@example.com")


def test_a_control_character_is_refused_with_its_row_and_column(school_id):
    text = (
        HEADER
        + "1,Ann,Lee,Year 1,1A,Kim,Lee,Mother,Yes,07700 900011,\r\n"
        + "2,Ben,Ode,Year 1,1A,Sam\x07,Ode,Father,Yes,07700 900012,\r\n"
    )
    outcome = _run(school_id, text)
    assert [str(e) for e in outcome.errors] == [
        "row 3: column F (Contact Forename) holds the control character U+0007, which is not text: retype that cell"
    ]


def test_a_year_group_outside_the_schools_phase_is_a_warning(school_id):
    text = HEADER + "1,Ann,Lee,Year 9,9A,Kim,Lee,Mother,Yes,07700 900011,\r\n"
    outcome = _run(school_id, text)
    assert outcome.ok
    assert [str(w) for w in outcome.warnings] == [
        "row 2: Ann Lee is in Year 9, which a primary school does not teach: check the year group, or the school's phase in the settings"
    ]
    db.session.get(School, school_id).phase = Phase.SECONDARY
    assert _run(school_id, text).warnings == []


def test_messages_cite_the_files_own_rows_in_a_wide_export(school_id):
    text = (
        "UPN,Forename,Surname,Year,Class,Contact 1 ID,Contact 1 Forename,Contact 1 Surname,Contact 1 Relationship,Contact 1 PR,Contact 1 Mobile,Contact 2 ID,Contact 2 Forename,Contact 2 Surname,Contact 2 Relationship,Contact 2 PR,Contact 2 Mobile\r\n"
        "\r\n"
        "A1,Ann,Lee,Year 1,1A,C1,Kim,Lee,Mother,Y,07700 900011,C2,Dev,Lee,Father,Y,07700 900012\r\n"
        "A1,Ann,Lee,Year 1,1A,C1,Kim,Lee,Mother,Y,07700 900011,,,,,,\r\n"
    )
    outcome = _run(school_id, text)
    assert [str(e) for e in outcome.errors] == ["row 4: pupil A1 and contact C1 repeat row 3"]


def test_the_office_corrects_who_is_who_before_importing(app, client):
    with app.app_context():
        staff(school().id)
        db.session.commit()
    sign_in(client, "office@example.com", two_factor=False)
    text = HEADER + (
        "1,Ann,Lee,Year 1,1A,Kim,Lee,Mother,Yes,07700 900011,\r\n"
        "2,Bo,Lee,Year 3,3A,Kim,Lee,Mother,Yes,07700 900011,\r\n"  # the same Kim: one carer
        "3,Cy,Lee,Year 5,5A,Kim,Lee,Mother,Yes,,kim@example.com\r\n"  # the same name, other details
    )
    page = client.get("/office/import").get_data(as_text=True)
    response = client.post(
        "/office/import",
        data={"csrf_token": csrf_token(page), "file": (io.BytesIO(text.encode()), "c.csv")},
        content_type="multipart/form-data",
    )
    location = response.headers["Location"]
    page = client.get(location).get_data(as_text=True)
    assert re.search(r"Rows 2, 3 are one carer, <strong>Kim Lee</strong> \(\+447700900011\)", page)
    assert "appears as 2 different carers" in page
    merge_key = re.search(r'name="merge" value="([^"]+)"', page).group(1)
    split_id = re.search(r'name="split" value="([^"]+)"', page).group(1)

    client.post(
        location.replace("/preview", "/identity"),
        data={"csrf_token": csrf_token(page), "split": split_id},
    )
    page = client.get(location).get_data(as_text=True)
    assert 'data-n="contacts_added">3<' in page  # Kim for Ann, Kim for Bo, Kim for Cy

    client.post(
        location.replace("/preview", "/identity"),
        data={"csrf_token": csrf_token(page), "merge": merge_key},
    )
    page = client.get(location).get_data(as_text=True)
    # One person, but two different mobiles/emails: the office is told to fix the file.
    assert "contact Kim Lee differs from row 2" in page

    client.post(location.replace("/preview", "/identity"), data={"csrf_token": csrf_token(page)})
    page = client.get(location).get_data(as_text=True)
    assert 'data-n="contacts_added">2<' in page
    client.post(location.replace("/preview", "/commit"), data={"csrf_token": csrf_token(page)})
    with app.app_context():
        assert len(db.session.scalars(select(Contact)).all()) == 2
        assert len(db.session.scalars(select(Pupil)).all()) == 3


def test_the_remembered_mapping_changes_only_when_an_import_succeeds(app, client):
    with app.app_context():
        staff(school().id)
        db.session.commit()
    sign_in(client, "office@example.com", two_factor=False)

    def upload(text: str):
        page = client.get("/office/import").get_data(as_text=True)
        return client.post(
            "/office/import",
            data={"csrf_token": csrf_token(page), "file": (io.BytesIO(text.encode()), "c.csv")},
            content_type="multipart/form-data",
        ).headers["Location"]

    good = HEADER + "1,Ann,Lee,Year 1,1A,Kim,Lee,Mother,Yes,07700 900011,\r\n"
    location = upload(good)
    page = client.get(location).get_data(as_text=True)
    client.post(location.replace("/preview", "/commit"), data={"csrf_token": csrf_token(page)})
    with app.app_context():
        remembered = json.loads(db.session.scalar(select(ColumnMapping.mapping)))
    assert remembered["pupil_id"] == "Adno"

    odd = "Ref,Forename,Surname,Year,Reg,Contact Forename,Contact Surname,Relationship,Parental Responsibility,Mobile,Email\r\n9,Zed,Roe,Year 2,2A,Al,Roe,Father,Yes,07700 900099,\r\n"
    location = upload(odd)
    assert location.endswith("/columns")
    page = client.get(location).get_data(as_text=True)
    chosen = {
        name: selected.group(1)
        for name, options in re.findall(
            r'<select id="(map-[a-z_]+)"[^>]*>(.*?)</select>', page, re.S
        )
        if (selected := re.search(r"<option selected>([^<]+)<", options))
    }
    chosen["map-pupil_id"] = "Ref"
    response = client.post(location, data={"csrf_token": csrf_token(page), **chosen})
    preview = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'data-n="leavers">1<' in preview  # Ann would leave: abandoned here
    with app.app_context():
        assert json.loads(db.session.scalar(select(ColumnMapping.mapping))) == remembered
    location = upload(good)
    assert location.endswith("/preview")
    assert 'data-n="leavers">0<' in client.get(location).get_data(as_text=True)


def test_the_schools_phase_is_a_setting(app):
    with app.app_context():
        school()
        db.session.commit()
    cli = app.test_cli_runner()
    assert cli.invoke(args=["school", "set", "--phase", "secondary"]).exit_code == 0
    with app.app_context():
        assert db.session.scalar(select(School.phase)) is Phase.SECONDARY
    refused = cli.invoke(args=["school", "set", "--phase", "nursery"])
    assert refused.exit_code != 0 and "nursery" in refused.output


def test_a_carers_name_in_one_cell_needs_a_forename_and_a_surname(school_id):
    text = (
        "Adno,Forename,Surname,Year,Reg,Contact Name,Relationship,Parental Responsibility,Mobile\r\n"
        "1,Ann,Lee,Year 1,1A,Mrs Kim Lee,Mother,Yes,07700 900011\r\n"
        "2,Ben,Ode,Year 1,1A,Mrs Ode,Mother,Yes,07700 900012\r\n"
    )
    outcome = _run(school_id, text)
    assert [str(e) for e in outcome.errors] == [
        "row 3: the carer's name 'Mrs Ode' needs a forename and a surname "
        "(as “Priya Patel” or “Patel, Priya”)"
    ]
    assert db.session.scalar(select(Pupil.id)) is None
