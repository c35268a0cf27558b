"""Exports: CSVs that Excel opens safely, and a family's evidence page."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select

from parentlink.campaigns.models import Invitation
from parentlink.campaigns.services import confirm
from parentlink.db import db
from parentlink.directory.models import Contact, Pupil
from parentlink.office.exports import safe_cell
from tests.builders import family_row, launched, staff
from tests.office.sign_in import sign_in


@pytest.fixture
def seeded(app):
    with app.app_context():
        summary = launched(
            [
                family_row("P1", "C1", pupil_first_name="=HYPERLINK(1)", pupil_last_name="@Evil"),
                family_row("P2", "C2", pupil_first_name="Oscar", contact_last_name="-Minus"),
            ]
        )
        staff(summary.campaign.school_id)
        invitation = db.session.scalar(
            select(Invitation).join(Contact).where(Contact.mis_id == "C1")
        )
        confirm(invitation, typed_name="+Carer One", ip_address="203.0.113.9", user_agent="UA")
        db.session.commit()
        return summary.campaign.id


def test_cells_that_excel_would_run_are_neutralised():
    for dangerous in ("=1+1", "+44", "-2", "@SUM(A1)", "\tx"):
        assert safe_cell(dangerous).startswith("'")
    assert safe_cell("Amelia") == "Amelia" and safe_cell(None) == ""


def test_the_pupil_and_contact_csvs(client, seeded, monkeypatch):
    monkeypatch.setattr("parentlink.office.exports.BATCH", 1)  # every row its own batch
    sign_in(client, "office@example.com", two_factor=False)
    response = client.get(f"/office/campaigns/{seeded}/pupils.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:2] == ["Pupil MIS id", "First name"]
    by_id = {r[0]: r for r in rows[1:]}
    assert by_id["P1"][1:3] == ["'=HYPERLINK(1)", "'@Evil"] and by_id["P1"][5] == "yes"
    assert by_id["P2"][5] == "no"
    contacts = client.get(f"/office/campaigns/{seeded}/contacts.csv").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(contacts.lstrip("\ufeff"))))
    c1 = next(r for r in rows if r[0] == "C1")
    assert c1[5] == "confirmed" and c1[10] == "link" and c1[12] == "'+Carer One"
    assert c1[3] == "'+447700900001"  # a phone number, kept as text
    assert next(r for r in rows if r[0] == "C2")[2] == "'-Minus"
    assert client.get("/office/campaigns/99999/pupils.csv").status_code == 404


def test_the_evidence_page_shows_what_was_sent_and_confirmed_with_the_hash(app, client, seeded):
    sign_in(client, "office@example.com", two_factor=False)
    with app.app_context():
        pupil_id = db.session.scalar(select(Pupil.id).where(Pupil.mis_id == "P1"))
        sha = db.session.scalar(select(Invitation)).campaign.version.sha256
    page = client.get(f"/office/families/{pupil_id}/evidence").get_data(as_text=True)
    assert sha in page and "Reference PL-" in page and "+447700900001" in page
    assert "typed name “+Carer One”" in page and "points agreed" in page
