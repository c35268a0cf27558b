"""The parent journeys in Chromium at phone size, each page state checked with axe-core, the
page weight measured, and screenshots kept in test-artifacts/parents/."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from parentlink.campaigns.models import Confirmation
from parentlink.db import db
from parentlink.messaging.models import MessageKind
from tests.builders import family_row, launched
from tests.parents.browser import (
    AGREE,
    agree_to_all,
    assert_accessible,
    assert_light_and_local,
    fits_the_width,
    new_phone,
    shot,
    visit,
)
from tests.parents.family import relaunch_with_version_two, separated_parents, token_for

pytestmark = pytest.mark.browser


def _three_children(app) -> str:
    with app.app_context():
        launched(
            [
                family_row("P1", "C1", pupil_first_name="Amelia", year_group="Year 1"),
                family_row("P2", "C1", pupil_first_name="Oscar", year_group="Year 3"),
                family_row("P3", "C1", pupil_first_name="Ruby", year_group="Year 5"),
            ]
        )
        return token_for("C1")


def test_a_single_parent_confirms_for_three_children(live_app, browser):
    base = live_app.config["PUBLIC_URL"]
    token = _three_children(live_app)
    page = new_phone(browser)
    visit(page, f"{base}/a/{token}")
    assert page.get_by_role("heading", level=1).inner_text() == "Our social media agreement"
    assert page.get_by_text("Amelia, Oscar and Ruby").is_visible()
    weight = assert_light_and_local(page, base)
    assert weight < 30 * 1024
    assert fits_the_width(page)
    assert_accessible(page, "fresh")
    shot(page, "1-fresh")

    page.get_by_role("button", name=AGREE).click()  # no name typed yet
    summary = page.locator(".error-summary")
    assert summary.is_visible() and "There is a problem" in summary.inner_text()
    assert page.locator(".error").count() == 1  # one message, at the name box
    summary.get_by_role("link").first.click()
    assert page.evaluate("document.activeElement.id") == "typed_name"  # the link leads there
    assert page.title().startswith("Error:")
    assert_accessible(page, "validation error")
    shot(page, "2-validation-error")

    agree_to_all(page, "Sarah Example")
    page.wait_for_selector("text=Thank you, your answers are recorded")
    reference = page.locator(".reference").inner_text()
    assert page.get_by_text("Amelia, Oscar and Ruby").is_visible()
    assert_accessible(page, "confirmed")
    shot(page, "3-confirmed")
    visit(page, f"{base}/a/{token}")  # the same link later: read-only receipt
    assert page.locator(".reference").inner_text() == reference
    assert page.get_by_role("button", name=AGREE).count() == 0
    page.context.close()


def test_separated_parents_each_confirm_from_their_own_phone(live_app, browser):
    base = live_app.config["PUBLIC_URL"]
    mother, father = separated_parents(live_app)
    phones = [new_phone(browser), new_phone(browser)]
    for phone, token, name in zip(
        phones, (mother, father), ("Sarah Example", "Tom Example"), strict=True
    ):
        visit(phone, f"{base}/a/{token}")
        agree_to_all(phone, name)
        phone.wait_for_selector("text=Thank you, your answers are recorded")
    assert "Amelia and Oscar" in phones[0].locator("main").inner_text()
    assert "Oscar" not in phones[1].locator("main").inner_text()
    shot(phones[1], "4-separated-father-receipt")
    with live_app.app_context():
        assert {c.typed_name for c in db.session.scalars(select(Confirmation))} == {
            "Sarah Example",
            "Tom Example",
        }
    for phone in phones:
        phone.context.close()


def test_a_question_on_one_point_then_withdraw(live_app, browser):
    base = live_app.config["PUBLIC_URL"]
    token, _ = separated_parents(live_app)
    page = new_phone(browser)
    visit(page, f"{base}/a/{token}")
    assert not page.locator("#q3").is_visible()  # a question box only when chosen
    page.locator(".ask summary").nth(2).click()
    page.locator("#q3").fill("Does this cover the class WhatsApp group?")
    assert_accessible(page, "question open")
    page.get_by_role("button", name=AGREE).click()  # name left empty
    assert page.locator("#q3").input_value() == "Does this cover the class WhatsApp group?"
    assert page.locator("#q3").is_visible()  # kept, and its box still open
    page.get_by_label("Your full name").fill("Sarah Example")
    page.get_by_role("button", name=AGREE).click()
    page.wait_for_selector("text=Thank you, your answers are recorded")
    assert page.get_by_text("Does this cover the class WhatsApp group?").is_visible()
    assert page.get_by_text("The school office will reply").is_visible()

    page.locator("summary", has_text="Withdraw my confirmation").click()
    page.get_by_label("Why are you withdrawing?").fill("I want to talk to the class teacher.")
    page.get_by_role("button", name="Withdraw my confirmation").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Withdraw your confirmation?"
    assert_accessible(page, "withdraw: are you sure?")
    page.get_by_role("button", name="Yes, withdraw").click()
    page.wait_for_selector("text=You withdrew your confirmation on")
    assert_accessible(page, "withdrawn")
    shot(page, "5-withdrawn")
    page.context.close()


def test_an_expired_link_offers_a_new_link_sent_to_the_details_on_file(live_app, browser, clock):
    base = live_app.config["PUBLIC_URL"]
    old, _ = separated_parents(live_app)
    clock.advance(days=21 + 14 + 1)
    with live_app.app_context():  # a new round opens; the old link has expired
        from datetime import timedelta

        from parentlink.agreements.services import current_version
        from parentlink.campaigns.services import launch_campaign
        from parentlink.schools.models import School

        school = db.session.scalar(select(School))
        launch_campaign(
            school,
            current_version(school.id),
            name="Catch-up round",
            closes_at=clock.now() + timedelta(days=14),
            actor="test",
        )
        db.session.commit()
    page = new_phone(browser)
    response = visit(page, f"{base}/a/{old}")
    assert response.status == 404
    assert page.get_by_role("heading", level=1).inner_text() == "This link is not working"
    assert_light_and_local(page, base)
    assert_accessible(page, "expired")
    shot(page, "6-expired")
    page.get_by_label("Your mobile number or email address").fill("07700 900001")
    page.get_by_role("button", name="Send me a new link").click()
    page.wait_for_selector("text=Check your messages")
    assert_accessible(page, "new link sent")
    with live_app.app_context():
        new = token_for("C1", MessageKind.NEW_LINK)
    visit(page, f"{base}/a/{new}")
    assert page.get_by_role("heading", level=1).inner_text() == "Our social media agreement"
    page.context.close()


def test_a_new_version_shows_what_changed(live_app, browser, tmp_path):
    base = live_app.config["PUBLIC_URL"]
    token, _ = separated_parents(live_app)
    page = new_phone(browser)
    visit(page, f"{base}/a/{token}")
    agree_to_all(page, "Sarah Example")
    page.wait_for_selector("text=Thank you, your answers are recorded")
    relaunch_with_version_two(live_app, tmp_path)
    with live_app.app_context():
        second = token_for("C1")
    visit(page, f"{base}/a/{second}")
    changes = page.locator(".changes")
    assert "What changed since you last confirmed" in changes.inner_text()
    assert page.locator(".changes del", has_text="1998").count() == 1
    assert page.locator(".changes ins", has_text="2018 and UK GDPR").count() == 1
    assert page.locator(".tag", has_text="New").count() == 1
    page.locator(".changes summary").first.click()
    assert_light_and_local(page, base)
    assert_accessible(page, "new version")
    shot(page, "7-new-version")
    page.context.close()


def test_the_urdu_page_reads_right_to_left(live_app, browser):
    base = live_app.config["PUBLIC_URL"]
    token, _ = separated_parents(live_app)
    page = new_phone(browser)
    visit(page, f"{base}/a/{token}")
    page.get_by_role("button", name="اردو").click()
    page.wait_for_selector("html[dir=rtl]")
    assert page.get_by_role("heading", level=1).inner_text() == "ہمارا سوشل میڈیا معاہدہ"
    assert page.get_by_text("معتبر").first.is_visible()  # the English wording binds
    assert fits_the_width(page)
    assert_accessible(page, "urdu")
    shot(page, "8-urdu")
    page.locator("button.button").click()
    assert_accessible(page, "urdu validation error")
    page.context.close()


def test_the_whole_journey_works_with_javascript_off(live_app, browser):
    base = live_app.config["PUBLIC_URL"]
    token = _three_children(live_app)
    page = new_phone(browser, javascript=False)
    visit(page, f"{base}/a/{token}")
    page.locator("summary").first.click()  # <details> opens without any script
    assert page.locator(".wording").first.is_visible()
    agree_to_all(page, "Sarah Example")
    page.wait_for_selector("text=Thank you, your answers are recorded")
    page.context.close()


def test_keyboard_only_with_visible_focus(live_app, browser):
    """Tab through the page, type the name, send with Enter;
    every element that takes focus shows an outline."""
    base = live_app.config["PUBLIC_URL"]
    token = _three_children(live_app)
    page = new_phone(browser)
    visit(page, f"{base}/a/{token}")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    assert page.locator(".skip").bounding_box()["x"] >= 0  # visible when focused
    unfocused = []
    for _ in range(400):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            """() => { const e = document.activeElement, s = getComputedStyle(e);
                return {tag: e.tagName, id: e.id, type: e.type || '', value: e.value || '',
                        text: e.innerText || '', checked: !!e.checked,
                        outline: s.outlineStyle !== 'none' && s.outlineWidth !== '0px'}; }"""
        )
        if not focused["outline"]:
            unfocused.append(focused)
        if focused["id"] == "typed_name":
            page.keyboard.type("Sarah Example")
        elif focused["tag"] == "BUTTON" and AGREE in focused["text"]:
            page.keyboard.press("Enter")
            break
    page.wait_for_selector("text=Thank you, your answers are recorded")
    assert unfocused == []


@pytest.mark.parametrize("setup", ["320px", "200% zoom"])
def test_usable_at_320_pixels_and_200_percent_zoom(live_app, browser, setup):
    base = live_app.config["PUBLIC_URL"]
    token = _three_children(live_app)
    # 200% zoom on a 640 px wide window lays the page out in 320 CSS pixels
    page = new_phone(browser, width=320 if setup == "320px" else 640)
    visit(page, f"{base}/a/{token}")
    if setup == "200% zoom":
        page.evaluate("document.documentElement.style.zoom = '2'")
    assert fits_the_width(page)
    page.get_by_role("button", name=AGREE).click()
    if setup == "200% zoom":
        page.evaluate("document.documentElement.style.zoom = '2'")
    assert fits_the_width(page)  # with every error message shown
    shot(page, f"9-errors-{setup.replace(' ', '-').replace('%', '')}")
    page.context.close()
