"""On a phone: the office starts a campaign for one year group with its own reminders, reads
the preview (messages, segments, cost), launches, and watches the progress bar to the end.
axe-core finds nothing on the form with its errors shown, nor on the preview."""

from __future__ import annotations

import pytest

from parentlink.db import db
from parentlink.directory.importer import import_families
from parentlink.messaging.dispatcher import dispatch_pending
from tests.builders import STAFF_PASSWORD, csv_bytes, family_row, published_policy, school, staff
from tests.office.test_office_browser import _axe


def _families():
    rows = [
        family_row(f"P{n}", f"C{n}", pupil_first_name=name, year_group="Year 3", **{"class": "3K"})
        for n, name in enumerate(["Amelia", "Oscar", "Ruby", "Isla"], start=1)
    ]
    rows += [  # one family with four children: a longer text, two segments
        family_row(f"P{n}", "C9", pupil_first_name=name, year_group="Year 3")
        for n, name in [(5, "Alexandrina"), (6, "Bartholomew"), (7, "Maximilian"), (8, "Tom")]
    ]
    rows += [  # Year 4 is not asked this time
        family_row("P10", "C10", pupil_first_name="Noah", year_group="Year 4", **{"class": "4M"})
    ]
    return rows


def _fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= 360


@pytest.mark.browser
def test_a_year_group_campaign_on_a_phone_from_options_to_every_message_sent(live_app, phone):
    app = live_app
    base = app.config["PUBLIC_URL"]
    app.config["DISPATCH_BATCH_SIZE"] = 2  # the bar moves in steps the page can show
    with app.app_context():
        the_school = school()
        published_policy(the_school.id)
        import_families(the_school.id, csv_bytes(_families()))
        staff(the_school.id)
        db.session.commit()
    page = phone
    page.goto(f"{base}/office/login")
    page.fill("#email", "office@example.com")
    page.fill("#password", STAFF_PASSWORD)
    page.click("button[type=submit]")
    page.goto(f"{base}/office/campaigns")
    assert _fits(page)

    # First try: year groups chosen but none ticked, reminders in the wrong order: both
    # errors at once.
    page.fill("#name", "Year 3 catch-up")
    page.check("input[name=audience][value=year-groups]")
    page.fill("#reminder_day_1", "4")
    page.fill("#reminder_day_2", "2")
    page.fill("#reminder_day_3", "")
    page.fill("#closes_on", "2026-10-02")
    page.click("text=Preview the messages")
    summary = page.locator(".error-summary").inner_text()
    assert "Choose at least one year group." in summary
    assert "Reminders: the days must go up" in summary
    assert _fits(page)
    errors = _axe(page)

    page.check("input[name=year_groups][value='Year 3']")
    page.fill("#reminder_day_1", "2")
    page.select_option("#reminder_channel_1", "same")
    page.fill("#reminder_day_2", "4")
    page.select_option("#reminder_channel_2", "both")
    page.click("text=Preview the messages")
    assert page.locator("h1").inner_text() == "Check the campaign before sending"
    main = page.locator("main").inner_text()
    assert "Year groups: Year 3" in main
    assert "2 school days after the launch: the same channel; 4 school days" in main
    assert page.locator("[data-count=sms] strong").inner_text() == "5"
    assert page.locator("[data-segments='1']").inner_text() == "4"
    assert page.locator("[data-segments='2']").inner_text() == "1"
    assert page.locator("[data-total-segments]").inner_text() == "6"
    assert page.locator("[data-cost]").inner_text() == "£0.24"
    assert "agreement for Amelia: http" in page.locator("[data-sample]").inner_text()
    assert _fits(page)
    preview_errors = _axe(page)

    page.click("text=Launch and send 5 messages")
    assert "Launched: 5 carers will get a message" in page.locator(".flash").inner_text()
    bar = page.locator("progress#dispatch")
    assert bar.get_attribute("data-done") == "0" and bar.get_attribute("data-total") == "5"
    assert _fits(page)
    progress_errors = _axe(page)
    with app.app_context():  # the jobs process's dispatcher: one batch of two
        assert dispatch_pending(max_batches=1).accepted == 2
        db.session.commit()
    page.wait_for_selector("text=2 of 5 sent so far", timeout=10_000)
    assert page.locator("progress#dispatch").get_attribute("data-done") == "2"
    with app.app_context():  # then the rest
        assert dispatch_pending().accepted == 3
        db.session.commit()
    page.wait_for_selector("text=All 5 messages have been handed over", timeout=10_000)
    assert page.locator("progress#dispatch").get_attribute("data-done") == "5"
    assert (errors, preview_errors, progress_errors) == ([], [], [])
