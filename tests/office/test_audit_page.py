"""The audit log page: newest first, filtered in SQL, one page at a time."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from parentlink.core.audit import record
from parentlink.db import db
from parentlink.office.models import StaffUser
from parentlink.schools.services import create_school
from tests.builders import school
from tests.office.sign_in import sign_in, staff_with_two_factor


@pytest.fixture
def admin_client(app, client, clock):
    with app.app_context():
        the_school = school()
        staff_with_two_factor(the_school.id, "admin@example.com", "admin")
        other = create_school(name="Other School", short_name="Other", slug="other")
        record("campaign.launch", actor="staff:999", school_id=other.id, secret="other school")
        clock.set(datetime(2026, 9, 1, 10, 0, tzinfo=UTC))
        for n in range(120):
            record("invitation.remind_now", actor="staff:7", school_id=the_school.id, n=n)
        clock.set(datetime(2026, 9, 10, 10, 0, tzinfo=UTC))
        record("school.settings", actor="staff:8", school_id=the_school.id,
               changes={"short_name": ["Coates Lane Primary", "Coates Lane"]})  # fmt: skip
        record("school_x.other", actor="staff:8", school_id=the_school.id)
        clock.set(datetime(2026, 9, 14, 9, 0, tzinfo=UTC))
        db.session.commit()
    sign_in(client, "admin@example.com", two_factor=True)
    return client


def rows(page: str) -> list[str]:
    return re.findall(r'<li data-event="\d+">.*?</li>\n', page, re.S)


def test_newest_first_with_keyset_pages_and_an_sql_count(admin_client):
    first = admin_client.get("/office/audit").get_data(as_text=True)
    total = int(re.search(r"<span data-total>(\d+)</span>", first).group(1))
    assert total >= 123  # the seeded events plus the sign-in's
    assert len(rows(first)) == 50
    assert "staff.login" in rows(first)[0]  # the newest: this sign-in
    assert "other school" not in first
    seen = set(re.findall(r'data-event="(\d+)"', first))
    next_url = re.search(r'rel="next" href="([^"]+)"', first).group(1).replace("&amp;", "&")
    pages = 1
    while next_url:
        page = admin_client.get(next_url).get_data(as_text=True)
        ids = re.findall(r'data-event="(\d+)"', page)
        assert not seen & set(ids) and ids == sorted(ids, key=int, reverse=True)
        seen |= set(ids)
        pages += 1
        found = re.search(r'rel="next" href="([^"]+)"', page)
        next_url = found.group(1).replace("&amp;", "&") if found else None
    assert len(seen) == total and pages == -(-total // 50)


def test_filters_by_action_prefix_actor_and_dates(admin_client):
    page = admin_client.get("/office/audit?action=school.").get_data(as_text=True)
    assert ["school.settings" in r or "school.create" in r for r in rows(page)] == [True, True]
    assert "short name: Coates Lane Primary → Coates Lane" in page
    page = admin_client.get("/office/audit?action=school_").get_data(as_text=True)
    assert len(rows(page)) == 1 and "school_x.other" in page  # _ is not a wildcard
    page = admin_client.get("/office/audit?actor=staff:7").get_data(as_text=True)
    assert "<span data-total>120</span>" in page
    page = admin_client.get("/office/audit?since=2026-09-10&until=2026-09-10").get_data(
        as_text=True
    )
    assert "<span data-total>2</span>" in page
    page = admin_client.get("/office/audit?until=2026-09-01").get_data(as_text=True)
    assert "<span data-total>120</span>" in page


def test_staff_names_are_shown_beside_their_ids(app, admin_client):
    with app.app_context():
        me = db.session.scalar(select(StaffUser.id))
    page = admin_client.get(f"/office/audit?actor=staff:{me}").get_data(as_text=True)
    assert "Office Tester" in page


@pytest.mark.parametrize(
    ("query", "message"),
    [("since=2026-09-10&until=2026-09-01", "The end date is before the start date"),
     ("since=10/09/2026", "Not a valid date value")],
)  # fmt: skip
def test_bad_filters_are_explained(admin_client, query, message):
    response = admin_client.get(f"/office/audit?{query}")
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert "data-event" not in response.get_data(as_text=True)


def test_the_log_reads_in_sentences_filtered_by_person_and_kind(app, client):
    from parentlink.campaigns.models import ConfirmationChannel
    from parentlink.campaigns.paper import record_paper_confirmation
    from parentlink.directory.models import Contact
    from tests.builders import family_row, launched, staff
    from tests.office.sign_in import sign_in, staff_with_two_factor

    with app.app_context():
        summary = launched([family_row("P1", "C1", pupil_first_name="Amelia")])
        office = staff(summary.campaign.school_id, email="sarah@example.com")
        office.name = "Sarah Office"
        staff_with_two_factor(summary.campaign.school_id, "admin@example.com", "admin")
        contact = db.session.scalar(select(Contact))
        record_paper_confirmation(
            summary.campaign,
            contact,
            channel=ConfirmationChannel.PAPER,
            typed_name="Carer One",
            note=None,
            staff_id=office.id,
        )
        db.session.commit()
        sarah = f"staff:{office.id}"
    sign_in(client, "admin@example.com", two_factor=True)
    page = client.get("/office/audit").get_data(as_text=True)
    assert "Sarah Office recorded a paper reply for Amelia Example&#39;s family." in page
    assert f'<option value="{sarah}">Sarah Office</option>' in page  # people by name
    only_sarah = client.get(f"/office/audit?actor={sarah}").get_data(as_text=True)
    assert "<span data-total>1</span>" in only_sarah
    replies = client.get("/office/audit?kind=replies").get_data(as_text=True)
    assert "recorded a paper reply" in replies and "signed in" not in replies
    access = client.get("/office/audit?kind=access").get_data(as_text=True)
    assert "signed in" in access and "recorded a paper reply" not in access
