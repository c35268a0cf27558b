"""The office closing the loop, in Chromium at 1366 px: the overview's picture, questions
answered, households reminded in bulk, a family page that acts, a paper reply with a
question; axe-core finds nothing on any of these pages. Screenshots go to the test's
temporary folder (or PARENTLINK_SCREENSHOTS) for a person to look at."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import select

from parentlink.agreements.models import Audience
from parentlink.campaigns.models import Answer, Invitation
from parentlink.campaigns.services import confirm
from parentlink.db import db
from parentlink.directory.models import Contact, Pupil
from parentlink.messaging.dispatcher import dispatch_pending
from parentlink.messaging.models import Message, MessageKind
from tests.builders import STAFF_PASSWORD, family_row, launched, staff
from tests.office.test_office_browser import _axe

QUESTION = "Can grandparents see the class blog?"


def _seed(app) -> dict:
    rows = [
        family_row("P1", "C1", pupil_first_name="Amelia", year_group="Year 3", **{"class": "3K"}),
        family_row("P2", "C1", pupil_first_name="Oscar", year_group="Year 5", **{"class": "5B"}),
        family_row("P3", "C2", pupil_first_name="Ruby", year_group="Year 4", **{"class": "4M"}),
        family_row("P4", "C3", pupil_first_name="Zain", year_group="Year 4", **{"class": "4M"}),
        family_row("P5", "C4", pupil_first_name="Ada", year_group="Year 3", **{"class": "3K"}),
        family_row("P6", "C5", pupil_first_name="Leo", parental_responsibility="no"),
    ]
    with app.app_context():
        summary = launched(rows)
        staff(summary.campaign.school_id)
        dispatch_pending()
        key = summary.campaign.version.clauses_for(Audience.PARENTS_CARERS)[1].key
        c4 = db.session.scalar(select(Invitation).join(Contact).where(Contact.mis_id == "C4"))
        confirm(
            c4,
            typed_name="Carer Four",
            ip_address=None,
            user_agent=None,
            answers={key: (Answer.QUESTION, QUESTION)},
        )
        ids = {
            "ruby": db.session.scalar(select(Pupil.id).where(Pupil.mis_id == "P3")),
            "amelia": db.session.scalar(select(Pupil.id).where(Pupil.mis_id == "P1")),
        }
        db.session.commit()
        return ids


def _shot(page, name: str, tmp_path: Path) -> None:
    folder = Path(os.environ.get("PARENTLINK_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


@pytest.mark.browser
def test_the_office_closes_the_loop_at_1366_px(live_app, browser, tmp_path):
    app = live_app
    base = app.config["PUBLIC_URL"]
    ids = _seed(app)
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    page = context.new_page()
    checked = {}
    page.goto(f"{base}/office/login")
    page.fill("#email", "office@example.com")
    page.fill("#password", STAFF_PASSWORD)
    page.click("button[type=submit]")

    assert page.locator("h1").inner_text() == "Overview"
    main = page.locator("main").inner_text()
    assert "17% of pupils covered: 1 of 6" in main  # Ada, through her carer
    assert page.locator("svg.line-chart").is_visible()
    checked["overview"] = _axe(page)
    _shot(page, "overview", tmp_path)

    page.click(".office-nav >> text=Questions")
    assert QUESTION in page.locator("main").inner_text()
    checked["questions"] = _axe(page)
    page.click("text=Full wording")
    _shot(page, "questions", tmp_path)
    page.fill("textarea[name=reply]", "Yes: the blog is for families, grandparents included.")
    page.click("button:has-text('Send reply')")
    assert "is on its way by text" in page.locator(".flash").inner_text()
    assert "No question is waiting for an answer." in page.locator("main").inner_text()
    checked["questions-done"] = _axe(page)

    page.click(".office-nav >> text=Not yet answered")
    rows = page.locator("table.households tbody tr")
    assert rows.count() == 3  # C1 (Amelia and Oscar) once, C2, C3; Leo's carer apart
    assert "07700 900001" in rows.first.inner_text()
    assert "Leo Example" in page.locator("#unreachable-h + p + ul").inner_text()
    checked["not-answered"] = _axe(page)
    _shot(page, "not-answered", tmp_path)
    page.select_option("#sort", "reminders")
    page.click("button:has-text('Show')")
    for box in page.locator("input[name=invitation]").all()[:2]:
        box.check()
    page.click("button:has-text('Remind selected')")
    assert "Reminders to 2 households are on their way." in page.locator(".flash").inner_text()
    assert page.url.endswith("#households") and "sort=reminders" in page.url
    checked["not-answered-after"] = _axe(page)

    page.goto(f"{base}/office/families/{ids['ruby']}")
    assert page.locator("h1 .badge").inner_text() == "Not yet answered"
    checked["family"] = _axe(page)
    _shot(page, "family", tmp_path)
    page.click("button:has-text('Print a paper form')")
    assert page.locator(".paper-points-print li").count() == 18
    assert page.locator(".paper-qr img").is_visible()
    checked["paper-form"] = _axe(page)
    page.emulate_media(media="print")
    _shot(page, "paper-form-print", tmp_path)
    page.emulate_media(media="screen")
    page.goto(f"{base}/office/families/{ids['ruby']}")
    page.click("text=Record a paper or phone reply")
    checked["paper"] = _axe(page)
    page.fill("#typed_name", "Carer Two")
    page.locator("textarea[name^=question-]").first.fill("Do you post photos of plays?")
    _shot(page, "paper", tmp_path)
    page.click("text=Record the confirmation")
    assert page.locator("h1 .badge").inner_text() == "Questions open"
    assert "1 question added to Questions" in page.locator(".flash").inner_text()
    assert "Do you post photos of plays?" in page.locator(".timeline").inner_text()
    checked["family-after"] = _axe(page)

    page.goto(f"{base}/office/families?q=example")
    assert page.locator("td .badge").count() == 6
    checked["families"] = _axe(page)
    _shot(page, "families", tmp_path)

    page.goto(f"{base}/office/")
    page.emulate_media(media="print")
    assert (
        page.locator("svg.line-chart").is_visible() and not page.locator(".office-nav").is_visible()
    )
    _shot(page, "overview-print", tmp_path)
    context.close()
    with app.app_context():
        assert db.session.scalar(
            select(Message.id).where(Message.kind == MessageKind.QUESTION_REPLY)
        )
    assert {name: v for name, v in checked.items() if v} == {}
