"""The administrator's pages in Chromium at phone width: settings (with the test-SMS button
showing Twilio's answer), account, staff, audit log; axe-core finds nothing on any of them,
and none scrolls sideways at 360 px."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from parentlink.db import db
from tests.builders import STAFF_PASSWORD, school, staff
from tests.office.sign_in import code_at, staff_with_two_factor
from tests.office.test_office_browser import _axe

SHOTS = os.environ.get("PARENTLINK_SCREENSHOTS")  # a folder: save a PNG of each page


@pytest.fixture
def app_config(twilio_server) -> dict:
    return twilio_server.app_config()


def _look(page, name: str, width: int) -> list:
    page.wait_for_load_state()
    if SHOTS:
        page.screenshot(path=str(Path(SHOTS) / f"{name}-{width}.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= width, name
    return _axe(page)


def _sign_in(page, app, base: str) -> None:
    page.goto(f"{base}/office/login")
    page.fill("#email", "admin@example.com")
    page.fill("#password", STAFF_PASSWORD)
    page.click("button[type=submit]")
    with app.app_context():
        code = code_at()
    page.fill("#code", code)
    page.click("button[type=submit]")
    assert page.locator("h1").inner_text() == "Overview"


@pytest.mark.browser
def test_settings_on_a_phone_with_the_test_text_showing_twilios_answer(
    live_app, phone, twilio_server
):
    app, page = live_app, phone
    base = app.config["PUBLIC_URL"]
    with app.app_context():
        the_school = school()
        staff_with_two_factor(the_school.id, "admin@example.com", "admin")
        staff(the_school.id)
        db.session.commit()
    checked = {}
    _sign_in(page, app, base)

    page.click("text=My account")
    page.wait_for_url("**/office/account")
    checked["account"] = _look(page, "account", 360)
    page.fill("#mobile", "07700 900123")
    page.click("text=Save my mobile number")
    assert "Your mobile number is saved." in page.locator(".flash").inner_text()

    page.click("nav >> text=Settings")
    page.wait_for_url("**/office/settings")
    checked["settings"] = _look(page, "settings", 360)
    page.fill("#sms-sms_sender", "Coates Lane Primary")  # 19 characters: refused
    page.click("text=Save text message settings")
    assert "at most 11 characters" in page.locator(".error-summary").inner_text()
    checked["settings-error"] = _look(page, "settings-error", 360)
    page.fill("#sms-sms_sender", "CoatesLane")
    page.click("text=Save text message settings")
    assert "Text message settings saved." in page.locator(".flash").inner_text()

    page.click("text=Send a test text to me")
    answer = page.locator(".flash-success").inner_text()
    (sent,) = twilio_server.messages
    assert f"accepted by twilio (id {sent['sid']}" in answer
    assert sent["to"] == "+447700900123" and sent["from"] == "CoatesLane"
    twilio_server.fail_next(400, 21610, "Attempt to send to unsubscribed recipient")
    page.click("text=Send a test text to me")
    refusal = page.locator(".flash-error").inner_text()
    assert "refused by twilio: this number has replied STOP" in refusal
    assert "(Twilio error 21610)" in refusal
    checked["settings-test-refused"] = _look(page, "settings-test-refused", 360)

    page.check("#term-kind-0")
    page.fill("#term-name", "Autumn 2026")
    page.fill("#term-starts_on", "2026-09-02")
    page.fill("#term-ends_on", "2026-12-18")
    page.click("form >> text=Add")
    assert "Autumn 2026" in page.locator("table.dates-table").inner_text()

    page.click("nav >> text=Staff")
    page.wait_for_url("**/office/staff")
    checked["staff"] = _look(page, "staff", 360)
    page.fill("#name", "Dee Lead")
    page.fill("#email", "dee@example.com")
    page.select_option("#role", "dsl")
    page.click("text=Add and send the invitation")
    assert "/office/set-up/" in page.locator("[data-setup-link]").inner_text()
    checked["staff-link"] = _look(page, "staff-link", 360)

    page.click("nav >> text=Audit log")
    page.wait_for_url("**/office/audit")
    assert "staff.invite" in page.locator(".audit-list").inner_text()
    checked["audit"] = _look(page, "audit", 360)
    assert {name: v for name, v in checked.items() if v} == {}


@pytest.mark.browser
def test_the_administrators_pages_at_desktop_width(live_app, browser):
    app = live_app
    base = app.config["PUBLIC_URL"]
    with app.app_context():
        the_school = school()
        staff_with_two_factor(the_school.id, "admin@example.com", "admin")
        db.session.commit()
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    _sign_in(page, app, base)
    checked = {}
    for name, path in [
        ("settings", "/office/settings"),
        ("staff", "/office/staff"),
        ("audit", "/office/audit"),
        ("account", "/office/account"),
    ]:
        page.goto(base + path)
        checked[name] = _look(page, name, 1280)
    context.close()
    assert {name: v for name, v in checked.items() if v} == {}
