"""The office in Chromium: sign in, import a messy export through the preview, find who has not
answered, record a paper reply, print the call list; axe-core finds nothing on any page."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from parentlink.core.clock import now
from parentlink.db import db
from parentlink.messaging.dispatcher import dispatch_pending
from tests.builders import STAFF_PASSWORD, published_policy, school, staff

AXE = (Path(__file__).parent.parent / "vendor" / "axe.min.js").read_text()

MESSY_EXPORT = (
    "Adno,Forename,Surname,Year,Reg Group,Contact ID,Contact Forename,Contact Surname,"
    "Relationship,Parental Responsibility,Mobile,Email\r\n"
    "1001,Zoë,Brontë,Y3,3K,C1,Renée,Brontë,Mother,Yes,7700900001,renee@example.com\r\n"
    "1002,Ali,Khan,Year 4,4M,C3,Sara,Khan,Mother,Yes,020 7946 0123,sara@example.com\r\n"
    "1003,Ben,Ode,Year 4,4M,C4,Ann,Ode,Mother,Yes,07700 900 004,\r\n"
    ",,,,,,,,,,,\r\n"
).encode("cp1252")


def _axe(page) -> list:
    page.wait_for_load_state()  # the stylesheets too: sizes and contrast depend on them
    page.evaluate(AXE)
    result = page.evaluate("async () => (await axe.run(document)).violations")
    return [(v["id"], [n["target"] for n in v["nodes"]][:3]) for v in result]


@pytest.mark.browser
def test_from_an_empty_school_to_a_printed_call_list(live_app, browser, tmp_path):
    app = live_app
    base = app.config["PUBLIC_URL"]
    with app.app_context():
        the_school = school()
        published_policy(the_school.id)
        staff(the_school.id)
        db.session.commit()
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    checked = {}

    page.goto(f"{base}/office/login")
    checked["login"] = _axe(page)
    page.fill("#email", "office@example.com")
    page.fill("#password", STAFF_PASSWORD)
    page.click("button[type=submit]")
    assert page.locator("h1").inner_text() == "Overview"
    checked["overview-empty"] = _axe(page)

    page.click("text=Import")
    checked["import"] = _axe(page)
    csv_path = tmp_path / "sims export.csv"
    csv_path.write_bytes(MESSY_EXPORT)
    page.set_input_files("#file", str(csv_path))
    page.click("text=Upload and check")
    if "/columns" in page.url:
        checked["columns"] = _axe(page)
        page.click("text=Check the file")
    assert "Check before importing" in page.locator("h1").inner_text()
    body = page.locator("main").inner_text()
    assert "Windows-1252" in body and "is a landline" in body
    assert "added the leading 0" in body
    checked["preview"] = _axe(page)
    page.click("button:text('Import')")
    assert "Imported: 3 new pupils" in page.locator("main").inner_text()
    checked["families"] = _axe(page)

    page.click("text=Campaigns")
    checked["campaigns"] = _axe(page)
    page.fill("#name", "Autumn round")
    with app.app_context():
        closes_on = (now() + timedelta(days=21)).date().isoformat()
    page.fill("#closes_on", closes_on)
    page.click("text=Preview the messages")
    # The sample is the SMS as it will go: GSM-7, so Zoë is spelt Zoe (one segment, not three).
    assert "agreement for Zoe: http" in page.locator("[data-sample]").inner_text()
    checked["campaign-check"] = _axe(page)
    page.click("text=Launch and send 3 messages")
    assert "Launched: 3 carers will get a message" in page.locator(".flash").inner_text()
    bar = page.locator("progress#dispatch")
    assert bar.get_attribute("data-done") == "0" and bar.get_attribute("data-total") == "3"
    checked["campaign"] = _axe(page)
    with app.app_context():  # the jobs process's dispatcher, once
        assert dispatch_pending().accepted == 3
        db.session.commit()
    page.wait_for_selector("text=All 3 messages have been handed over", timeout=10_000)
    assert page.locator("progress#dispatch").get_attribute("data-done") == "3"

    page.click("text=Overview")
    assert "0% of pupils covered: 0 of 3" in page.locator("main").inner_text()
    checked["overview"] = _axe(page)
    page.click("text=Not yet answered")
    checked["not-answered"] = _axe(page)
    ben = page.locator("table.households tbody tr", has_text="Ben Ode")
    ben.locator("text=Record a reply").click()
    checked["paper"] = _axe(page)
    page.check("input[value=phone]")
    page.fill("#note", "Rang the office at 9:10")
    page.click("text=Record the confirmation")
    assert "confirmed (phone), reference PL-" in page.locator(".flash").inner_text()
    assert page.locator("table.households tbody tr", has_text="Ben Ode").count() == 0

    page.click("text=Printable call list")
    checked["call-list"] = _axe(page)
    page.emulate_media(media="print")
    assert not page.locator(".office-nav").is_visible()
    assert page.locator("table.call-table").is_visible()
    rows = page.locator("table.call-table tbody tr").all_inner_texts()
    assert len(rows) == 2 and not any("Ben" in r for r in rows)

    page.emulate_media(media="screen")
    page.goto(f"{base}/office/families?q=zo")
    page.click("text=Zoë Brontë")
    assert "Renée Brontë" in page.locator("main").inner_text()
    checked["family"] = _axe(page)
    context.close()
    assert {name: v for name, v in checked.items() if v} == {}
