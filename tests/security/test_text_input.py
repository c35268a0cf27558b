"""Text that databases accept: a NUL byte or another control character typed into any
form or search, in the office or on a parent's page, gets a clear page in the page's
language (400) and changes nothing, on SQLite and PostgreSQL alike (run the suite with
PARENTLINK_TEST_DATABASE_URL for the latter). The forms are found on the pages themselves,
so a new form is covered the day it is added."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from parentlink.campaigns.invitation_links import issue_link
from parentlink.campaigns.models import Invitation
from parentlink.concerns.models import Concern
from parentlink.core.audit import AuditEvent
from parentlink.db import db
from parentlink.directory.models import Contact
from parentlink.office.routes import PAGES
from tests.builders import csv_bytes, family_row
from tests.office.sign_in import code_at, staff_with_two_factor
from tests.office.test_every_page_browser import NOT_PAGES, _seed
from tests.security.forms import forms_on
from tests.security.web import Browser

REFUSED = "invisible control characters"
NASTY = ["Sam\x00Example", "Sam\x1b[31mExample", "Sam\x7fExample", "Sam\x85Example"]


def _rows(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _signed_in(app, email: str) -> Browser:
    browser = Browser(app)
    browser.login(email)
    with app.app_context():
        code = code_at()
    assert browser.code(code).status_code == 303
    return browser


def _office_pages(ids: dict[str, int]) -> list[str]:
    pages = []
    for url, endpoint, _, methods, _ in PAGES:
        if "GET" in methods and endpoint not in NOT_PAGES:
            for name, value in ids.items():
                url = url.replace(f"<int:{name}>", str(value))
            pages.append(f"/office{url}")
    return pages


def _send_every_form(browser: Browser, pages: list[str], text: str) -> list:
    """Fill every typed field of every form on these pages with `text`; what was not
    refused with the clear page."""
    not_refused = []
    for page in pages:
        html = browser.get(page).text
        for form in forms_on(html, page):
            browser.tried.add(form.action.removeprefix(browser.base).split("?")[0].split("#")[0])
            data = {**form.hidden, **form.chosen, **dict.fromkeys(form.text, text)}
            action = form.action.removeprefix(browser.base)
            if form.method == "get":
                response = browser.get(action, params=data)
            else:
                response = browser.post(action, data)
            if response.status_code != 400 or REFUSED not in response.text:
                not_refused.append((page, form.action, response.status_code))
    return not_refused


@pytest.fixture
def school_with_everything(live_app):
    ids = _seed(live_app)
    with live_app.app_context():
        from parentlink.campaigns.models import Campaign

        school_id = db.session.scalar(select(Campaign.school_id))
        staff_with_two_factor(school_id, "dsl@example.com", "dsl")
        invitation = db.session.scalar(
            select(Invitation).join(Contact).where(Contact.mis_id == "C1").limit(1)
        )
        ids["token"] = issue_link(invitation, "new-link")
        db.session.commit()
    return ids


@pytest.mark.parametrize("text", NASTY, ids=["nul", "escape", "delete", "c1-next-line"])
def test_control_characters_in_any_office_form_are_refused_clearly(
    live_app, school_with_everything, text
):
    ids = school_with_everything
    admin = _signed_in(live_app, "admin@example.com")
    upload = admin.post(
        "/office/import",
        {"csrf_token": admin.form("/office/import")},
        files={"file": ("export.csv", csv_bytes([family_row("P4", "C4")]), "text/csv")},
    )
    ids["upload_id"] = int(upload.headers["Location"].split("/import/")[1].split("/")[0])
    with live_app.app_context():
        before = _rows(AuditEvent)
    assert _send_every_form(admin, _office_pages(ids), text) == []
    assert {
        "/office/families",
        "/office/staff",
        "/office/settings",
        "/office/account",
        f"/office/agreements/clauses/{ids['clause_id']}",
        f"/office/campaigns/{ids['campaign_id']}/contacts/{ids['contact_id']}/paper",
        f"/office/contacts/{ids['contact_id']}/wrong-details",
        "/office/campaigns",
    } <= admin.tried
    dsl = _signed_in(live_app, "dsl@example.com")
    assert _send_every_form(dsl, ["/office/concerns/"], text) == []
    with live_app.app_context():
        assert _rows(AuditEvent) == before + 1  # the DSL's sign-in, nothing else
    anonymous = Browser(live_app)
    assert _send_every_form(anonymous, ["/office/login", "/link/new"], text) == []


@pytest.mark.parametrize("text", NASTY[:2], ids=["nul", "escape"])
def test_control_characters_on_a_parents_pages_are_refused_in_their_language(
    live_app, school_with_everything, text
):
    token = school_with_everything["token"]
    parent = Browser(live_app)
    pages = [f"/a/{token}", f"/a/{token}/concern"]
    assert _send_every_form(parent, pages, text) == []
    assert set(pages) <= parent.tried
    page = parent.post(
        f"/a/{token}/language", {"csrf_token": parent.form(f"/a/{token}"), "lang": "pl"}
    )
    assert page.status_code == 303
    polish = parent.post(
        f"/a/{token}/concern",
        {"csrf_token": parent.form(f"/a/{token}/concern"), "description": text},
    )
    assert polish.status_code == 400 and 'lang="pl"' in polish.text
    assert REFUSED not in polish.text  # said in Polish
    with live_app.app_context():
        assert _rows(Concern) == 0


def test_control_characters_in_query_strings_are_refused(live_app, school_with_everything):
    admin = _signed_in(live_app, "admin@example.com")
    for page in ["/office/families", "/office/messages", "/office/audit", "/office/"]:
        response = admin.get(page, params={"q": "Sam\x00", "page": "1"})
        assert response.status_code == 400 and REFUSED in response.text, page
    response = admin.get("/office/concerns/", params={"status": "new\x00"})
    assert response.status_code == 400


def test_a_control_character_in_an_mis_file_is_a_clear_problem(live_app, school_with_everything):
    admin = _signed_in(live_app, "admin@example.com")
    data = csv_bytes([family_row("P4", "C4", contact_first_name="Sam\x00")])
    response = admin.post(
        "/office/import",
        {"csrf_token": admin.form("/office/import")},
        files={"file": ("export.csv", data, "text/csv")},
    )
    if response.status_code == 303:  # the columns step reads the file
        response = admin.get(response.headers["Location"].removeprefix(admin.base))
        if response.status_code == 303:
            response = admin.get(response.headers["Location"].removeprefix(admin.base))
    assert response.status_code in (200, 422)
    assert "control character" in response.text
