"""The whole concern path in Chromium, as a new parent and the DSL would use it, with
axe-core checking every page (vendored in tests/vendor/axe-core, MPL-2.0)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from parentlink.concerns.models import Concern
from parentlink.db import db
from parentlink.directory.models import Contact
from tests.builders import STAFF_PASSWORD
from tests.concerns.family import TWO_FACTOR, jpeg_with_gps, seed
from tests.office.sign_in import code_at
from tests.parents.browser import (
    assert_accessible,
    assert_light_and_local,
    fits_the_width,
    new_phone,
    visit,
)

AXE = Path(__file__).resolve().parent.parent / "vendor" / "axe-core" / "axe.min.js"
ARTIFACTS = Path(__file__).resolve().parent.parent.parent / "test-artifacts"
TAGS = ["wcag2a", "wcag2aa", "wcag21aa", "wcag22aa", "best-practice"]


@pytest.fixture
def app_config(tmp_path) -> dict:
    return {"UPLOAD_DIR": str(tmp_path / "uploads")}


@pytest.fixture
def phone_no_js(browser):
    """A small phone with JavaScript off: the form must work without it."""
    context = browser.new_context(
        viewport={"width": 360, "height": 740},
        is_mobile=True,
        has_touch=True,
        java_script_enabled=False,
    )
    yield context.new_page()
    context.close()


@pytest.fixture
def checker(browser):
    """Pages for axe: the script is injected, so this context bypasses our CSP."""
    context = browser.new_context(viewport={"width": 360, "height": 740}, bypass_csp=True)
    yield context
    context.close()


def axe_violations(page) -> list[dict]:
    page.wait_for_load_state()  # the stylesheets too: sizes and contrast depend on them
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", TAGS
    )
    return [
        {"id": v["id"], "nodes": [n["target"] for n in v["nodes"]]} for v in result["violations"]
    ]


def _assert_accessible(checker, url: str, cookies=None) -> None:
    page = checker.new_page()
    page.goto(url)
    violations = axe_violations(page)
    assert violations == [], json.dumps(violations, indent=1)
    page.close()


def _sign_in(page, app, role: str) -> None:
    base = app.config["PUBLIC_URL"]
    page.goto(f"{base}/office/login")
    page.get_by_label("Email").fill(f"{role}@example.com")
    page.get_by_label("Password").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    if role in TWO_FACTOR:
        with app.app_context():
            code = code_at()
        page.get_by_label("Code from your authenticator app, or a recovery code").fill(code)
        page.get_by_role("button", name="Continue").click()
    page.wait_for_url(f"{base}/office/")


@pytest.mark.browser
def test_a_parent_reports_the_dsl_acts_the_parent_sees_and_office_sees_nothing(
    live_app, phone_no_js, browser, checker, tmp_path
):
    ARTIFACTS.mkdir(exist_ok=True)
    app = live_app
    base = app.config["PUBLIC_URL"]
    token = seed(app)
    shot = tmp_path / "screenshot.jpg"
    shot.write_bytes(jpeg_with_gps())

    # The parent, on a small phone without JavaScript, from their link.
    page = phone_no_js
    page.goto(f"{base}/a/{token}/concern")
    assert page.get_by_text("If a child is in immediate danger, call 999 now.").is_visible()
    page.screenshot(path=str(ARTIFACTS / "concern-form.png"), full_page=True)
    page.get_by_role("button", name="Send to the school").click()
    assert page.get_by_text("Please tell us what happened.").first.is_visible()
    page.screenshot(path=str(ARTIFACTS / "concern-form-errors.png"), full_page=True)
    page.get_by_label("Cyberbullying").check()
    page.get_by_label("What happened?").fill("A group chat keeps posting about Amelia.")
    page.get_by_label("Where did it happen? (optional)").fill("WhatsApp")
    page.get_by_label("Amelia").check()
    page.get_by_label("Screenshots (optional)").set_input_files(str(shot))
    page.get_by_role("button", name="Send to the school").click()
    page.wait_for_selector("text=Thank you, the school has your report")
    reference = page.locator(".reference").inner_text()
    assert page.locator(".concern-state").first.inner_text() == "Received"
    page.screenshot(path=str(ARTIFACTS / "concern-sent.png"), full_page=True)
    sent_url = page.url

    # A member of the office (not the DSL) sees nothing of it.
    office = browser.new_context(viewport={"width": 1200, "height": 900})
    office_page = office.new_page()
    _sign_in(office_page, app, "office")
    response = office_page.goto(f"{base}/office/concerns/")
    assert response.status == 403
    assert reference not in office_page.content()
    office.close()

    # The DSL signs in, finds it, acknowledges, adds an entry, closes it.
    dsl = browser.new_context(viewport={"width": 360, "height": 740}, bypass_csp=True)
    dsl_page = dsl.new_page()
    _sign_in(dsl_page, app, "dsl")
    dsl_page.get_by_role("link", name="Concerns").click()
    dsl_page.get_by_role("link", name=reference).click()
    assert dsl_page.get_by_text("A group chat keeps posting about Amelia.").is_visible()
    assert dsl_page.get_by_role("link", name="Screenshot 1").is_visible()
    assert axe_violations(dsl_page) == []
    dsl_page.get_by_role("button", name="Acknowledge").click()
    dsl_page.get_by_label("Add to the chronology").fill("Called Sarah; she sent two more posts.")
    dsl_page.get_by_role("button", name="Add entry").click()
    assert dsl_page.get_by_text("Called Sarah; she sent two more posts.").is_visible()
    dsl_page.screenshot(path=str(ARTIFACTS / "concern-dsl-record.png"), full_page=True)

    # The parent sees "being looked at", and never the note.
    page.goto(sent_url)
    assert page.locator(".concern-state").first.inner_text() == "Being looked at"
    assert "Called Sarah" not in page.content()

    dsl_page.get_by_label("Outcome").fill("Spoke to both families; the posts were removed.")
    dsl_page.get_by_role("button", name="Close the concern").click()
    assert dsl_page.locator("[data-field=status]").inner_text() == "closed"
    dsl_page.get_by_role("link", name="Printable record").click()
    dsl_page.emulate_media(media="print")
    assert not dsl_page.get_by_role("link", name="Back to the concern").is_visible()
    assert dsl_page.get_by_text(
        "Spoke to both families; the posts were removed."
    ).first.is_visible()
    dsl_page.screenshot(path=str(ARTIFACTS / "concern-dsl-print.png"), full_page=True)
    dsl_page.emulate_media(media="screen")
    dsl_page.goto(f"{base}/office/concerns/?status=closed")
    assert dsl_page.get_by_role("link", name=reference).is_visible()
    dsl_page.screenshot(path=str(ARTIFACTS / "concern-dsl-inbox.png"), full_page=True)
    dsl.close()

    page.goto(sent_url)
    assert page.locator(".concern-state").first.inner_text() == "Closed"
    with app.app_context():
        concern = db.session.scalar(select(Concern))
        assert concern.reference == reference and len(concern.attachments) == 1
        assert [e.kind.value for e in concern.entries][-1] == "outcome"


@pytest.mark.browser
def test_axe_finds_nothing_on_the_parent_form_and_the_dsl_pages(live_app, checker):
    app = live_app
    base = app.config["PUBLIC_URL"]
    token = seed(app)
    _assert_accessible(checker, f"{base}/a/{token}/concern")
    form = checker.new_page()
    form.goto(f"{base}/a/{token}/concern")
    form.get_by_role("button", name="Send to the school").click()  # the page with errors
    assert form.get_by_text("There is a problem").is_visible()
    assert axe_violations(form) == []
    form.get_by_label("Something else").check()
    form.get_by_label("What happened?").fill("Worried about a game chat.")
    form.get_by_label("Not about one of my children").check()
    form.get_by_role("button", name="Send to the school").click()
    form.wait_for_selector("text=Thank you, the school has your report")
    assert axe_violations(form) == []
    form.close()

    page = checker.new_page()
    _sign_in(page, app, "dsl")
    with app.app_context():
        cid = db.session.scalar(select(Concern.id))
    for path in ("/office/concerns/", f"/office/concerns/{cid}", f"/office/concerns/{cid}/print"):
        page.goto(base + path)
        assert axe_violations(page) == [], path
    page.screenshot(path=str(ARTIFACTS / "concern-dsl-inbox-phone.png"), full_page=True)


@pytest.mark.browser
def test_the_axe_check_does_catch_a_violation(checker):
    page = checker.new_page()
    page.set_content('<html lang="en"><title>t</title><main><img src="x.png"></main></html>')
    assert "image-alt" in [v["id"] for v in axe_violations(page)]


@pytest.mark.browser
def test_the_urdu_concern_form_reads_right_to_left_and_axe_finds_nothing(live_app, browser):
    app = live_app
    base = app.config["PUBLIC_URL"]
    token = seed(app)
    with app.app_context():
        db.session.scalar(select(Contact).where(Contact.mis_id == "C1")).language = "ur"
        db.session.commit()
    page = new_phone(browser, width=360)
    visit(page, f"{base}/a/{token}/concern")
    assert page.evaluate("getComputedStyle(document.body).direction") == "rtl"
    assert page.get_by_text("اگر کسی بچے کو فوری خطرہ ہو تو ابھی 999 پر کال کریں۔").is_visible()
    assert fits_the_width(page)
    assert_light_and_local(page, base)
    assert_accessible(page, "urdu concern form")
    page.screenshot(path=str(ARTIFACTS / "concern-form-ur.png"), full_page=True)

    page.get_by_role("button", name="اسکول کو بھیجیں").click()  # nothing filled in
    assert page.get_by_text("ایک مسئلہ ہے").is_visible()
    assert_accessible(page, "urdu concern form with errors")
    page.screenshot(path=str(ARTIFACTS / "concern-form-ur-errors.png"), full_page=True)

    page.get_by_label("آن لائن دھونس (سائبر بُلیئنگ)").check()
    page.get_by_label("کیا ہوا؟").fill("ایک گروپ چیٹ میں امیلیا کے بارے میں باتیں ہو رہی ہیں۔")
    page.get_by_label("Amelia").check()
    page.get_by_role("button", name="اسکول کو بھیجیں").click()
    page.wait_for_selector("text=شکریہ، آپ کی اطلاع اسکول کو مل گئی ہے")
    assert page.locator(".concern-state").first.inner_text() == "موصول ہو گئی"
    assert_accessible(page, "urdu concern sent")
    page.screenshot(path=str(ARTIFACTS / "concern-sent-ur.png"), full_page=True)
    page.context.close()
