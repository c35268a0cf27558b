# ruff: noqa: E501 - rows of CSV are clearer on one line each
"""Each MIS's export, as the office gets it, imports untouched: SIMS, Arbor (long and wide),
Bromcom, Groupcall Xporter and Wonde; in every encoding Excel writes, and as Excel files.

The layouts are our own files, written from the column names in the vendors' documentation
and support pages (see README, "Importing families"), with Ofcom drama numbers."""

from __future__ import annotations

import io

import openpyxl
import pytest
from sqlalchemy import select

from parentlink.db import db
from parentlink.directory import reimport
from parentlink.directory.models import Contact, Pupil, PupilContact
from tests.builders import school

EXPORTS = {
    "sims-student-contacts": (
        "Adno,UPN,Legal Forename,Legal Surname,Year,Reg,Contact Title,Contact Forename,Contact Surname,Relationship,Priority,Parental Responsibility,Court Order,Home Telephone,Mobile Telephone,Work Telephone,Email Address\r\n"
        "1001,A123456789012,Amelia,Patel,Year 3,3K,Mrs,Priya,Patel,Mother,1,Yes,No,0161 496 0001,07700 900001,,priya@example.com\r\n"
        "1001,A123456789012,Amelia,Patel,Year 3,3K,Mr,Raj,Patel,Father,2,Yes,Yes,,07700 900002,0161 496 0999,\r\n"
        "1002,B123456789012,Oscar,Patel,Reception,RB,Mrs,Priya,Patel,Mother,1,Yes,No,0161 496 0001,07700 900001,,priya@example.com\r\n"
    ),
    "arbor-guardians-long": (
        "Admission No,UPN,First Name,Last Name,Year,Registration Form,Guardian,Relationship,Legal guardian,Emergency contact,Court order in place,Mobile,Home Phone,Email\r\n"
        "1001,A123456789012,Amelia,Patel,Year 3,3K,Mrs Priya Patel,Mother,Yes,1,No,07700 900001,0161 496 0001,priya@example.com\r\n"
        "1001,A123456789012,Amelia,Patel,Year 3,3K,Mr Raj Patel,Father,Yes,2,Yes,07700 900002,,\r\n"
        "1002,B123456789012,Oscar,Patel,Reception,RB,Mrs Priya Patel,Mother,Yes,1,No,07700 900001,0161 496 0001,priya@example.com\r\n"
    ),
    "arbor-wide": (
        "Admission No,First Name,Last Name,Year,Reg Form,Contact 1 Name,Contact 1 Relationship,Contact 1 Legal guardian,Contact 1 Court order in place,Contact 1 Telephone,Contact 1 Mobile,Contact 1 Email,Contact 2 Name,Contact 2 Relationship,Contact 2 Legal guardian,Contact 2 Court order in place,Contact 2 Telephone,Contact 2 Mobile,Contact 2 Email\r\n"
        '1001,Amelia,Patel,Year 3,3K,"Patel, Priya",Mother,Yes,No,0161 496 0001,07700 900001,priya@example.com,"Patel, Raj",Father,Yes,Yes,0161 496 0002,07700 900002,\r\n'
        '1002,Oscar,Patel,Reception,RB,"Patel, Priya",Mother,Yes,No,0161 496 0001,07700 900001,priya@example.com,,,,,,,\r\n'
    ),
    "bromcom": (
        "Admission Number,UPN,Legal Forename,Legal Surname,Year Group,Tutor Group,Contact Person ID,Contact Title,Contact Forename,Contact Surname,Relationship,Contact Priority,Parental Responsibility,Court Order Restricted Access,Home Phone,Mobile Phone,Email\r\n"
        "1001,A123456789012,Amelia,Patel,Year 3,3K,50001,Mrs,Priya,Patel,Mother,1,True,False,0161 496 0001,07700 900001,priya@example.com\r\n"
        "1001,A123456789012,Amelia,Patel,Year 3,3K,50002,Mr,Raj,Patel,Father,2,True,True,,07700 900002,\r\n"
        "1002,B123456789012,Oscar,Patel,Reception,RB,50001,Mrs,Priya,Patel,Mother,1,True,False,0161 496 0001,07700 900001,priya@example.com\r\n"
    ),
    "groupcall-xporter": (
        "MIS_ID,UPN,Forename,Surname,YearGroup,RegGroup,ContactMIS_ID,ContactTitle,ContactForename,ContactSurname,Relationship,Priority,ParentalResponsibility,CourtOrder,TelephoneHome,TelephoneMobile,Email\r\n"
        "1001,A123456789012,Amelia,Patel,Year 3,3K,9001,Mrs,Priya,Patel,Mother,1,1,0,0161 496 0001,07700 900001,priya@example.com\r\n"
        "1001,A123456789012,Amelia,Patel,Year 3,3K,9002,Mr,Raj,Patel,Father,2,1,1,,07700 900002,\r\n"
        "1002,B123456789012,Oscar,Patel,Reception,RB,9001,Mrs,Priya,Patel,Mother,1,1,0,0161 496 0001,07700 900001,priya@example.com\r\n"
    ),
    "wonde": (
        "mis_id,upn,forename,surname,year_group,registration_group,contact_mis_id,contact_title,contact_forename,contact_surname,relationship,priority,parental_responsibility,court_order,contact_home_phone,contact_mobile,contact_email\r\n"
        "1001,A123456789012,Amelia,Patel,Year 3,3K,W1,Mrs,Priya,Patel,Mother,1,true,false,0161 496 0001,07700 900001,priya@example.com\r\n"
        "1001,A123456789012,Amelia,Patel,Year 3,3K,W2,Mr,Raj,Patel,Father,2,true,true,,07700 900002,\r\n"
        "1002,B123456789012,Oscar,Patel,Reception,RB,W1,Mrs,Priya,Patel,Mother,1,true,false,0161 496 0001,07700 900001,priya@example.com\r\n"
    ),
}


@pytest.fixture
def school_id(ctx) -> int:
    the_school = school()
    db.session.commit()
    return the_school.id


def _import(school_id: int, data: bytes, filename: str = "export.csv", **reading):
    headers = reimport.headers_of(data, reading.get("sheet"), filename)
    mapping = reimport.choose_mapping(school_id, headers)
    return reimport.import_file(
        school_id,
        data,
        mapping,
        actor="test",
        whole_school=True,
        filename=filename,
        **reading,
    )


def _families() -> dict:
    links = db.session.scalars(select(PupilContact)).all()
    return {
        (
            link.pupil.first_name,
            link.pupil.class_name,
            link.contact.first_name,
            link.contact.last_name,
        ): (
            link.contact.mobile,
            link.contact.email,
            link.parental_responsibility,
            link.court_order_restriction,
            link.priority,
        )
        for link in links
    }


EXPECTED = {
    ("Amelia", "3K", "Priya", "Patel"): ("+447700900001", "priya@example.com", True, False, 1),
    ("Amelia", "3K", "Raj", "Patel"): ("+447700900002", None, True, True, 2),
    ("Oscar", "RB", "Priya", "Patel"): ("+447700900001", "priya@example.com", True, False, 1),
}


@pytest.mark.parametrize("vendor", EXPORTS)
@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252", "utf-16"])
def test_each_vendors_export_imports_untouched(school_id, vendor, encoding):
    outcome = _import(school_id, EXPORTS[vendor].encode(encoding))
    assert outcome.ok, outcome.errors
    assert _families() == EXPECTED
    assert (
        db.session.scalar(select(Pupil.year_group).where(Pupil.first_name == "Oscar"))
        == "Reception"
    )
    # Priya is one carer for both children, however the file identifies her.
    assert len(db.session.scalars(select(Contact).where(Contact.first_name == "Priya")).all()) == 1


def _xlsx(text: str, *, sheet: str = "Contacts", before: list[str] | None = None) -> bytes:
    import csv

    book = openpyxl.Workbook()
    first = book.active
    if before:  # another sheet first: a chosen sheet is read
        first.title = before[0]
        first.append(["Report run on", "2026-09-01"])
        data = book.create_sheet(sheet)
    else:
        first.title = sheet
        data = first
    for row in csv.reader(io.StringIO(text)):
        # what Excel keeps: numbers as numbers (the leading 0 of a mobile is lost)
        data.append([int(c) if c.isdigit() and not c.startswith("0") else c for c in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_an_excel_workbook_is_read_directly(school_id):
    outcome = _import(school_id, _xlsx(EXPORTS["bromcom"]), "contacts.xlsx")
    assert outcome.ok, outcome.errors
    assert "Excel workbook (.xlsx), sheet Contacts" in outcome.prepared.encoding
    assert _families() == EXPECTED
    assert db.session.scalar(select(Contact.mis_id).where(Contact.first_name == "Raj")) == "50002"


def test_a_chosen_sheet_of_a_workbook_is_read(school_id):
    data = _xlsx(EXPORTS["sims-student-contacts"], before=["Summary"])
    assert not _import(school_id, data, "contacts.xlsx").ok  # the first sheet is not it
    outcome = _import(school_id, data, "contacts.xlsx", sheet="Contacts")
    assert outcome.ok, outcome.errors
    assert _families() == EXPECTED
    missing = _import(school_id, data, "contacts.xlsx", sheet="Pupils")
    assert missing.errors[0].message.startswith("the workbook has no sheet called 'Pupils'")


@pytest.mark.parametrize(
    ("data", "name", "said"),
    [
        (b"%PDF-1.7\n1 0 obj", "contacts.pdf", "this file is a PDF"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "contacts.png", "this file is a PNG image"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "scan.jpg", "this file is a JPEG image"),
        ("zip", "contacts.zip", "this file is a zip archive"),
        ("xlsx", "contacts.csv", "this file is an Excel workbook (.xlsx) named .csv"),
    ],
)
def test_other_files_are_refused_by_what_they_are(school_id, data, name, said):
    if data == "zip":
        out = io.BytesIO()
        with __import__("zipfile").ZipFile(out, "w") as archive:
            archive.writestr("contacts.csv", EXPORTS["wonde"])
        data = out.getvalue()
    elif data == "xlsx":
        data = _xlsx(EXPORTS["wonde"])
    outcome = _import(school_id, data, name)
    assert [e.row for e in outcome.errors] == [1]
    assert said in outcome.errors[0].message
    assert db.session.scalar(select(Pupil.id)) is None


def test_a_mobile_comes_from_the_mobile_column_and_a_landline_never_displaces_it(school_id):
    text = (
        "Adno,Forename,Surname,Year,Reg,Contact Forename,Contact Surname,Relationship,Parental Responsibility,Telephone,Mobile,Email\r\n"
        "1,Ann,Lee,Year 1,1A,Kim,Lee,Mother,Yes,0161 496 0001,07700 900011,\r\n"
        "2,Ben,Ode,Year 1,1A,Sam,Ode,Father,Yes,07700 900012,,\r\n"  # a mobile in the telephone column
        "3,Cal,Roe,Year 1,1A,Jo,Roe,Mother,Yes,0161 496 0003,,jo@example.com\r\n"
    )
    outcome = _import(school_id, text.encode())
    assert outcome.ok, outcome.errors
    mobiles = dict(db.session.execute(select(Contact.first_name, Contact.mobile)).all())
    assert mobiles == {"Kim": "+447700900011", "Sam": "+447700900012", "Jo": None}
