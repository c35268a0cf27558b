"""In Chromium at 1366 px, with GOV.UK Notify sending the texts: the settings page names the
service for each channel and shows the free allowance left; the campaign preview shows, per
family language, the text as Notify will send it, its kind, fragments and cost, marks the
alphabets Notify would turn into "?", and refuses the launch. axe-core finds nothing."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import select

from parentlink.db import db
from parentlink.directory.importer import import_families
from parentlink.directory.models import Contact
from tests.builders import STAFF_PASSWORD, csv_bytes, family_row, published_policy, school, staff
from tests.office.test_office_browser import _axe

SHOTS = os.environ.get("PARENTLINK_SCREENSHOTS")  # a folder: save a PNG of each page
WIDTH = 1366
LANGUAGES = {"C1": "en", "C2": "pl", "C3": "ro", "C4": "pt", "C5": "ur", "C6": "ar", "C7": "bn"}


def _look(page, name: str) -> list:
    page.wait_for_load_state()
    if SHOTS:
        page.screenshot(path=str(Path(SHOTS) / f"{name}-{WIDTH}.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH, name
    return _axe(page)


@pytest.mark.browser
def test_notify_costs_per_language_on_the_preview_and_the_settings_page(live_app, browser):
    app = live_app
    app.config["SMS_GATEWAY"] = "notify"
    base = app.config["PUBLIC_URL"]
    with app.app_context():
        the_school = school()
        the_school.messages_in_family_language = True
        published_policy(the_school.id)
        names = ["Siân", "Łucja", "Ștefan", "João", "Ayaan", "Layla", "Nabila"]
        rows = [
            family_row(f"P{n}", contact, pupil_first_name=names[n - 1])
            for n, contact in enumerate(LANGUAGES, start=1)
        ]
        import_families(the_school.id, csv_bytes(rows))
        for contact in db.session.scalars(select(Contact)):
            contact.language = LANGUAGES[contact.mis_id]
        staff(the_school.id)
        db.session.commit()
    context = browser.new_context(viewport={"width": WIDTH, "height": 900})
    page = context.new_page()
    page.goto(f"{base}/office/login")
    page.fill("#email", "office@example.com")
    page.fill("#password", STAFF_PASSWORD)
    page.click("button[type=submit]")

    page.goto(f"{base}/office/campaigns")
    page.fill("#name", "Autumn")
    page.click("text=Preview the messages")
    assert page.locator("h1").inner_text() == "Check the campaign before sending"
    table = page.locator("table#languages")
    assert "as GOV.UK Notify sends them" in table.locator("caption").inner_text()
    polish = table.locator("tr[data-language=pl]").inner_text()
    assert "GSM-7" in polish and "£0.05" in polish  # two fragments at 2.4p
    for code in ("ur", "ar", "bn"):
        row = table.locator(f"tr[data-language={code}]")
        assert "(in English)" in row.inner_text(), code  # Notify cannot send their letters
    page.locator("details", has_text="The text in Polski").locator("summary").click()
    assert "Lucja" in page.locator("details[open] .bubble").inner_text()  # Notify's Ł -> L
    assert (
        "go in English; the page their link opens is in their language"
        in table.locator("xpath=following::p[1]").inner_text()
    )
    assert page.locator("#too-long").count() == 0
    assert page.locator("[data-allowance-left]").inner_text() == "5,000"
    preview_errors = _look(page, "notify-preview")

    context.close()
    assert preview_errors == []


@pytest.mark.browser
def test_the_settings_page_with_notify_at_desktop_width(live_app, browser):
    from tests.office.sign_in import code_at, staff_with_two_factor

    app = live_app
    app.config.update(SMS_GATEWAY="notify", EMAIL_GATEWAY="smtp")
    base = app.config["PUBLIC_URL"]
    with app.app_context():
        the_school = school()
        staff_with_two_factor(the_school.id, "admin@example.com", "admin")
        db.session.commit()
    context = browser.new_context(viewport={"width": WIDTH, "height": 900})
    page = context.new_page()
    page.goto(f"{base}/office/login")
    page.fill("#email", "admin@example.com")
    page.fill("#password", STAFF_PASSWORD)
    page.click("button[type=submit]")
    with app.app_context():
        code = code_at()
    page.fill("#code", code)
    page.click("button[type=submit]")
    page.goto(f"{base}/office/settings")
    assert page.locator("[data-gateway=sms]").inner_text() == "GOV.UK Notify"
    assert page.locator("[data-gateway=email]").inner_text() == "your mail server (SMTP)"
    page.fill("#sms-notify_free_allowance", "lots")
    page.click("text=Save text message settings")
    assert "The free allowance is a whole number" in page.locator(".error-summary").inner_text()
    errors = _look(page, "notify-settings")
    page.fill("#sms-notify_free_allowance", "4000")
    page.click("text=Save text message settings")
    assert page.locator("[data-allowance-left]").inner_text() == "4,000"
    errors += _look(page, "notify-settings-saved")
    context.close()
    assert errors == []
