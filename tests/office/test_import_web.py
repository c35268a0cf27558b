# ruff: noqa: E501 - rows of CSV are clearer on one line each
"""The MIS import through the office: messy real exports, a preview, an all-or-nothing commit."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import func, select

from parentlink.core.audit import AuditEvent
from parentlink.db import db
from parentlink.directory.models import ColumnMapping, Contact, Pupil
from tests.builders import csrf_token, school, staff
from tests.office.sign_in import sign_in

SIMS_HEADER = "Adno,Forename,Surname,Year,Reg Group,Contact ID,Contact Forename,Contact Surname,Relationship,Parental Responsibility,Mobile,Email\r\n"


@pytest.fixture
def office(app, client):
    with app.app_context():
        staff(school().id)
        db.session.commit()
    sign_in(client, "office@example.com", two_factor=False)
    return client


def _upload(client, data: bytes, name="export.csv"):
    page = client.get("/office/import").get_data(as_text=True)
    return client.post(
        "/office/import",
        data={"csrf_token": csrf_token(page), "file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def _preview(client, response):
    assert response.status_code == 303, response.get_data(as_text=True)
    location = response.headers["Location"]
    if location.endswith("/columns"):
        page = client.get(location).get_data(as_text=True)
        fields = dict(
            re.findall(r'<select id="(map-[a-z_]+)".*?<option selected>([^<]+)<', page, re.S)
        )
        response = client.post(location, data={"csrf_token": csrf_token(page), **fields})
        location = response.headers["Location"]
    return location, client.get(location)


def _commit(client, location, page):
    return client.post(
        location.replace("/preview", "/commit"), data={"csrf_token": csrf_token(page)}
    )


def _count(model):
    return db.session.scalar(select(func.count()).select_from(model))


def test_a_windows_1252_sims_export_with_excel_damage_imports_after_the_preview(app, office):
    rows = (
        "1001,Zoë,Brontë,Year 3,3K,C1,Renée,Brontë,Mother,Yes,7700900001,renee@example.com\r\n"
        "1001,Zoë,Brontë,Year 3,3K,C2,José,Brontë,Father,Yes,07700 900 002,\r\n"
        "1002,Ali,Khan,Year 4,4M,C3,Sara,Khan,Mother,Yes,020 7946 0123,sara@example.com\r\n"
        ",,,,,,,,,,,\r\n,,,,,,,,,,,\r\n"
    )
    data = (SIMS_HEADER + rows).encode("cp1252")
    location, preview = _preview(office, _upload(office, data))
    page = preview.get_data(as_text=True)
    assert preview.status_code == 200, page
    assert "Windows-1252" in page
    assert 'data-n="pupils_added">2<' in page and 'data-n="contacts_added">3<' in page
    assert "added the leading 0 Excel removed" in page
    assert "is a landline" in page
    with app.app_context():
        assert _count(Pupil) == 0  # the preview changed nothing
    response = _commit(office, location, page)
    assert response.status_code == 303
    with app.app_context():
        zoe = db.session.scalar(select(Pupil).where(Pupil.mis_id == "1001"))
        assert (zoe.first_name, zoe.last_name) == ("Zoë", "Brontë")
        renee = db.session.scalar(select(Contact).where(Contact.mis_id == "C1"))
        assert renee.mobile == "+447700900001" and renee.first_name == "Renée"
        sara = db.session.scalar(select(Contact).where(Contact.mis_id == "C3"))
        assert sara.mobile is None and sara.email == "sara@example.com"
        assert db.session.scalar(select(ColumnMapping.mapping)) is not None
        assert "directory.import" in db.session.scalars(select(AuditEvent.action)).all()


def test_every_row_problem_is_listed_and_nothing_is_imported(app, office):
    rows = (
        "1001,Zoë,Brontë,Year 3,3K,C1,Renée,Brontë,Mother,Yes,7.7009E+09,\r\n"
        "1002,,Khan,Year 4,4M,C2,Sara,Khan,Mother,Yes,07700 900002,not-an-email\r\n"
        "1003,Ben,Ode,Year 12b,4M,C3,Ann,Ode,Mother,Yes,07700 900003,\r\n"
    )
    data = ("\ufeff" + SIMS_HEADER + rows).encode("utf-8")
    location, preview = _preview(office, _upload(office, data))
    page = preview.get_data(as_text=True)
    assert preview.status_code == 422
    assert "UTF-8 (with BOM)" in page
    assert re.search(r'data-row="2">.*?Excel turned the number', page)
    assert 'data-row="3"' in page and 'data-row="4"' in page
    assert "unknown year group" in page and "Import</button>" not in page
    response = _commit(office, location, page)
    assert response.status_code == 303
    with app.app_context():
        assert _count(Pupil) == 0 and _count(Contact) == 0


def test_one_row_per_pupil_with_contact_columns_and_a_reimport_with_leavers(app, office):
    header = "UPN,Legal Forename,Legal Surname,NC Year,Class,Contact 1 ID,Contact 1 Forename,Contact 1 Surname,Contact 1 Relationship,Contact 1 Parental Responsibility,Contact 1 Mobile,Contact 2 ID,Contact 2 Forename,Contact 2 Surname,Contact 2 Relationship,Contact 2 Parental Responsibility,Contact 2 Mobile\r\n"
    first = header + (
        "A1,Amelia,Patel,Reception,RA,C1,Priya,Patel,Mother,Y,07700900001,C2,Raj,Patel,Father,Y,07700900002\r\n"
        "A2,Oscar,Jones,Year 1,1B,C3,Kim,Jones,Mother,Y,07700900003,,,,,,\r\n"
    )
    location, preview = _preview(office, _upload(office, first.encode()))
    page = preview.get_data(as_text=True)
    assert "2 contact columns" in page and 'data-n="contacts_added">3<' in page
    assert _commit(office, location, page).status_code == 303
    second = header + (
        "A1,Amelia,Patel,Year 1,1B,C1,Priya,Patel-Shah,Mother,Y,07700900001,C2,Raj,Patel,Father,Y,07700900002\r\n"
        "A3,Isla,Evans,Reception,RA,C4,Jo,Evans,Carer,Y,07700900004,,,,,,\r\n"
    )
    location, preview = _preview(office, _upload(office, second.encode()))
    page = preview.get_data(as_text=True)
    assert location.endswith("/preview")  # the remembered mapping skips the column step
    assert 'data-n="pupils_added">1<' in page and 'data-n="pupils_updated">1<' in page
    assert 'data-n="leavers">1<' in page and "Oscar Jones" in page
    assert "data-many-leavers" in page  # one of two pupils: more than a tenth
    assert _commit(office, location, page).status_code == 303
    with app.app_context():  # not confirmed: nothing happened
        assert db.session.scalar(select(Pupil.left_on).where(Pupil.mis_id == "A2")) is None
        assert db.session.scalar(select(Pupil).where(Pupil.mis_id == "A3")) is None
    office.post(
        location.replace("/preview", "/commit"),
        data={"csrf_token": csrf_token(page), "confirm_leavers": "yes"},
    )
    with app.app_context():
        oscar = db.session.scalar(select(Pupil).where(Pupil.mis_id == "A2"))
        assert oscar.left_on is not None
        amelia = db.session.scalar(select(Pupil).where(Pupil.mis_id == "A1"))
        assert (amelia.year_group, amelia.left_on) == ("Year 1", None)
        assert (
            db.session.scalar(select(Contact.last_name).where(Contact.mis_id == "C1"))
            == "Patel-Shah"
        )


def test_duplicate_headers_and_empty_files_are_explained(office):
    dup = (
        SIMS_HEADER.replace("Email", "Mobile")
        + "1001,A,B,Year 3,3K,C1,C,D,Mother,Yes,07700900001,07700900002\r\n"
    )
    location, preview = _preview(office, _upload(office, dup.encode()))
    assert "appears twice" in preview.get_data(as_text=True)
    response = _upload(office, b"\r\n,,,\r\n")
    assert response.status_code == 422 and "the file is empty" in response.get_data(as_text=True)
    not_csv = _upload(office, b"\x89PNG\r\n\x1a\n" + b"\x00" * 20, name="photo.png")
    assert not_csv.status_code == 422 and "is a PNG image" in not_csv.get_data(as_text=True)
