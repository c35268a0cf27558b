"""Every office page an administrator can open, filled with a launched campaign's data, in
Chromium: axe-core finds nothing on any of them. The list comes from the route table, so a
new page is checked the day it is added (or this test says which page it has not seen)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from parentlink.agreements.drafts import new_draft
from parentlink.agreements.models import AgreementVersion, Clause
from parentlink.campaigns.models import Campaign
from parentlink.core.clock import now
from parentlink.db import db
from parentlink.directory.models import Contact, Pupil
from parentlink.messaging.dispatcher import dispatch_pending
from parentlink.messaging.inbound import receive_sms
from parentlink.office.routes import PAGES
from tests.builders import STAFF_PASSWORD, csv_bytes, family_row, launched
from tests.office.sign_in import code_at, staff_with_two_factor
from tests.office.test_office_browser import _axe

NOT_PAGES = {"export_pupils", "export_contacts"}  # CSV files, not pages


def _seed(app) -> dict[str, int]:
    with app.app_context():
        launched(
            [
                family_row("P1", "C1"),
                family_row("P2", "C1", pupil_first_name="Sam"),
                family_row("P3", "C2", preferred_channel="email"),
            ]
        )
        dispatch_pending()
        campaign = db.session.scalar(select(Campaign))
        contact = db.session.scalar(select(Contact).order_by(Contact.id))
        contact.details_flagged_at = now()  # something for the data-quality list
        contact.details_flag_reason = "The mobile number failed: not a mobile"
        receive_sms(sid="SM" + "1" * 32, from_number="+447700900001", to_number="", body="Hello?")
        published = db.session.scalar(select(AgreementVersion))
        draft = new_draft(published, actor="test")
        db.session.flush()
        clause = db.session.scalar(select(Clause).where(Clause.version_id == draft.id))
        staff_with_two_factor(campaign.school_id, "admin@example.com", "admin")
        ids = {
            "campaign_id": campaign.id,
            "contact_id": contact.id,
            "pupil_id": db.session.scalar(select(Pupil.id).order_by(Pupil.id)),
            "version_id": draft.id,
            "clause_id": clause.id,
        }
        db.session.commit()
        return ids


@pytest.mark.browser
def test_axe_finds_nothing_on_any_office_page(live_app, browser, tmp_path):
    app = live_app
    base = app.config["PUBLIC_URL"]
    ids = _seed(app)
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    page = context.new_page()
    checked = {}
    page.goto(f"{base}/office/login")
    page.fill("#email", "admin@example.com")
    page.fill("#password", STAFF_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("#code")
    checked["two_factor"] = _axe(page)
    with app.app_context():
        page.fill("#code", code_at())
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/office/")
    page.goto(f"{base}/office/import")  # an upload for the import pages: a new starter
    export = tmp_path / "export.csv"
    export.write_bytes(csv_bytes([family_row("P4", "C4")]))
    page.set_input_files("#file", str(export))
    page.click("text=Upload and check")
    ids["upload_id"] = int(re.search(r"/import/(\d+)/", page.url).group(1))

    pages = [
        (endpoint, url)
        for url, endpoint, _, methods, _ in PAGES
        if "GET" in methods and endpoint not in NOT_PAGES
    ]
    for endpoint, url in pages:
        for name, value in ids.items():
            url = url.replace(f"<int:{name}>", str(value))
        url = url.replace("<language>", "ur")  # a translation, right to left
        response = page.goto(f"{base}/office{url}")
        assert response.status == 200, (endpoint, response.status)
        page.wait_for_load_state()
        checked[endpoint] = _axe(page)
    context.close()
    assert {"overview", "edit_clause", "inbox", "data_quality", "evidence"} <= checked.keys()
    assert {"questions", "rounds", "audit", "jobs", "non_responders", "families"} <= checked.keys()
    assert {name: v for name, v in checked.items() if v} == {}
