"""The overview's numbers, the non-responders and the office's actions on them."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from parentlink.campaigns.models import Confirmation, ConfirmationChannel, Invitation
from parentlink.campaigns.services import confirm
from parentlink.db import db
from parentlink.directory.importer import import_families
from parentlink.directory.models import Contact, Pupil
from parentlink.messaging.models import Message, MessageKind
from tests.builders import csrf_token, csv_bytes, family_row, launched, staff
from tests.office.sign_in import sign_in


def _rows():
    return [
        family_row("P1", "C1", pupil_first_name="Amelia", year_group="Year 3", **{"class": "3K"}),
        family_row("P1", "C2", pupil_first_name="Amelia", year_group="Year 3", **{"class": "3K"}),
        family_row("P2", "C3", pupil_first_name="Oscar", year_group="Year 3", **{"class": "3K"}),
        family_row("P3", "C4", pupil_first_name="Ruby", year_group="Year 4", **{"class": "4M"}),
    ]


def _late_starter():
    """Sam joined after the launch: not invited, still counted as not covered."""
    return [
        *_rows(),
        family_row("P4", "C5", pupil_first_name="Sam", year_group="Year 4", **{"class": "4M"}),
    ]


@pytest.fixture
def seeded(app):
    with app.app_context():
        summary = launched(_rows())
        staff(summary.campaign.school_id)
        import_families(summary.campaign.school_id, csv_bytes(_late_starter()))
        invitation = db.session.scalar(
            select(Invitation).join(Contact).where(Contact.mis_id == "C1")
        )
        confirm(invitation, typed_name="Carer One", ip_address=None, user_agent=None)
        db.session.commit()
        return summary.campaign.id


def test_the_overview_counts_pupils_covered_by_year_and_class(client, seeded):
    sign_in(client, "office@example.com", two_factor=False)
    page = client.get("/office/").get_data(as_text=True)
    assert 'data-covered="overall">25%' in page  # Amelia, of 4 pupils
    assert re.search(r'data-total="pupils">4<', page)
    assert re.search(r'data-total="covered">1<', page)
    assert re.search(
        r'data-class="3K">.*?<td class="num">2</td><td class="num" data-class-covered>1<', page
    )
    assert "<svg" in page and 'class="bar-fill"' in page
    funnel = dict(re.findall(r'data-count="(\w+)">(\d+)<', page))
    assert funnel == {
        "invited": "4",
        "sent": "1",
        "delivered": "0",  # confirmed without a delivery report: opened, not "delivered"
        "opened": "1",
        "confirmed": "1",
    }


def test_non_responders_are_households_with_their_last_message(client, seeded):
    sign_in(client, "office@example.com", two_factor=False)
    page = client.get("/office/not-answered?class=3K").get_data(as_text=True)
    assert "Oscar" in page and "Amelia" not in page and "Ruby" not in page
    assert "invitation by text, queued" in page and "07700 900003" in page
    whole = client.get("/office/not-answered").get_data(as_text=True)
    assert "Ruby" in whole and "data-households>2<" in whole
    # Sam joined after the launch: no carer waits on a link, so the office phones them
    assert "Children with no carer we can remind" in whole and "CarerC5" not in whole
    assert "Sam Example" in whole


def test_a_carer_with_two_children_is_one_household(app, client):
    with app.app_context():
        summary = launched(
            [
                family_row("P1", "C1", pupil_first_name="Amelia", **{"class": "3K"}),
                family_row("P2", "C1", pupil_first_name="Oscar", **{"class": "5B"}),
                family_row("P3", "C2", pupil_first_name="Ruby", **{"class": "4M"}),
            ]
        )
        staff(summary.campaign.school_id)
        db.session.commit()
    sign_in(client, "office@example.com", two_factor=False)
    page = client.get("/office/not-answered").get_data(as_text=True)
    assert page.count("CarerC1 Example</strong>") == 1
    assert "Amelia Example" in page and "Oscar Example" in page
    by_class = re.findall(r"<strong>(CarerC\d) Example</strong>", page)
    assert by_class == ["CarerC1", "CarerC2"]  # 3K before 4M


def test_remind_selected_is_one_action_one_audit_event_and_stays_in_place(app, client, seeded):
    from parentlink.core.audit import AuditEvent

    sign_in(client, "office@example.com", two_factor=False)
    page = client.get("/office/not-answered?sort=reminders").get_data(as_text=True)
    picked = re.findall(r'name="invitation" value="(\d+)"', page)
    assert len(picked) == 2
    action = re.search(r'id="remind-selected" action="([^"]+)"', page).group(1)
    back = "/office/not-answered?sort=reminders#households"
    response = client.post(
        action, data={"csrf_token": csrf_token(page), "invitation": picked, "back": back}
    )
    assert response.status_code == 303 and response.headers["Location"].endswith(back)
    after = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Reminders to 2 households are on their way." in after
    with app.app_context():
        reminders = db.session.scalars(
            select(Message.to_address).where(Message.kind == MessageKind.REMINDER_1)
        ).all()
        assert sorted(reminders) == ["+447700900003", "+447700900004"]
        events = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "invitation.remind_selected")
        ).all()
        assert len(events) == 1
    nothing = client.post(action, data={"csrf_token": csrf_token(page), "back": back})
    assert "tick the households to remind first" in client.get(
        nothing.headers["Location"]
    ).get_data(as_text=True)


def test_remind_now_puts_a_message_in_the_outbox(app, client, seeded):
    sign_in(client, "office@example.com", two_factor=False)
    page = client.get("/office/not-answered?class=4M").get_data(as_text=True)
    action = re.search(r'action="(/office/invitations/\d+/remind)"', page).group(1)
    response = client.post(
        action, data={"csrf_token": csrf_token(page), "back": "/office/not-answered?class=4M"}
    )
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "is on its way" in page and "data-reminders>1<" in page
    with app.app_context():
        reminder = db.session.scalar(select(Message).where(Message.kind == MessageKind.REMINDER_1))
        assert reminder is not None and reminder.link_token
        assert reminder.to_address == "+447700900004"


def test_a_paper_reply_covers_the_pupil_and_stops_the_chase(app, client, seeded):
    sign_in(client, "office@example.com", two_factor=False)
    with app.app_context():
        contact_id = db.session.scalar(select(Contact.id).where(Contact.mis_id == "C5"))
    url = f"/office/campaigns/{seeded}/contacts/{contact_id}/paper"
    form = client.get(url).get_data(as_text=True)
    empty = client.post(
        url,
        data={
            "csrf_token": csrf_token(form),
            "channel": "paper",
            "typed_name": "",
            "taken_by": "Mrs Office",
        },
    )
    assert empty.status_code == 422
    response = client.post(
        url,
        data={
            "csrf_token": csrf_token(form),
            "channel": "phone",
            "typed_name": "Carer Five",
            "taken_by": "Mrs Office",
            "note": "rang the office",
        },
    )
    assert response.status_code == 303
    assert "reference PL-" in client.get(response.headers["Location"]).get_data(as_text=True)
    again = client.post(
        url,
        data={
            "csrf_token": csrf_token(form),
            "channel": "paper",
            "typed_name": "Carer Five",
            "taken_by": "x",
        },
    )
    assert again.status_code == 422
    assert "CarerC5 Example has already confirmed." in again.get_data(as_text=True)
    with app.app_context():
        confirmation = db.session.scalar(
            select(Confirmation).where(Confirmation.contact_id == contact_id)
        )
        assert confirmation.channel is ConfirmationChannel.PHONE
        assert confirmation.recorded_by_id is not None and "Mrs Office" in confirmation.note
        assert [p.first_name for p in confirmation.pupils] == ["Sam"]
        assert (
            db.session.scalar(
                select(func.count(Message.id)).where(Message.contact_id == contact_id)
            )
            == 0
        )
    whole = client.get("/office/not-answered").get_data(as_text=True)
    assert "Sam" not in whole
    overview = client.get("/office/").get_data(as_text=True)
    assert 'data-covered="overall">50%' in overview
    assert "1 of the confirmations were taken on paper or by phone" in overview


def test_marking_details_wrong_needs_a_reason_and_shows_on_the_family(app, client, seeded):
    sign_in(client, "office@example.com", two_factor=False)
    with app.app_context():
        contact_id = db.session.scalar(select(Contact.id).where(Contact.mis_id == "C4"))
    page = client.get("/office/not-answered").get_data(as_text=True)
    url = f"/office/contacts/{contact_id}/wrong-details"
    client.post(url, data={"csrf_token": csrf_token(page), "reason": ""})
    with app.app_context():
        assert db.session.get(Contact, contact_id).details_flagged_at is None
    client.post(url, data={"csrf_token": csrf_token(page), "reason": "number unobtainable"})
    with app.app_context():
        assert db.session.get(Contact, contact_id).details_flag_reason == "number unobtainable"
    page = client.get("/office/not-answered?class=4M").get_data(as_text=True)
    assert "details flagged" in page


def test_the_call_list_prints_the_whole_school_or_a_class(client, seeded):
    sign_in(client, "office@example.com", two_factor=False)
    page = client.get("/office/not-answered/call-list?class=4M").get_data(as_text=True)
    assert "Call list: 4M" in page and "Ruby" in page and "Oscar" not in page
    assert "07700 900004" in page and "invitation by text, queued" in page
    assert "No carer we can remind" in page and "Sam Example" in page


def test_family_search_and_timeline(client, seeded):
    sign_in(client, "office@example.com", two_factor=False)
    results = client.get("/office/families?q=carerc2").get_data(as_text=True)
    assert "Amelia" in results and "Oscar" not in results
    pupil = re.search(r'href="/office/families/(\d+)"', results).group(1)
    family = client.get(f"/office/families/{pupil}").get_data(as_text=True)
    assert 'data-kind="confirmed"' in family and 'data-kind="message"' in family
    assert "CarerC1 Example" in family and "CarerC2 Example" in family
    assert client.get("/office/families/999999").status_code == 404
    assert client.get("/office/families?page=abc").status_code == 200


def test_the_message_log_filters_and_the_data_quality_list(app, client, seeded):
    sign_in(client, "office@example.com", two_factor=False)
    with app.app_context():
        ruby = db.session.scalar(select(Contact).where(Contact.mis_id == "C4"))
        ruby.sms_opted_out = True
        db.session.commit()
    assert "data-total>4<" in client.get("/office/messages?status=queued").get_data(as_text=True)
    assert "data-total>0<" in client.get("/office/messages?status=delivered").get_data(as_text=True)
    assert "data-total>4<" in client.get("/office/messages?status=nonsense").get_data(as_text=True)
    page = client.get("/office/data-quality").get_data(as_text=True)
    assert "data-total>1<" in page and "opted out of text messages" in page


def test_a_campaign_is_launched_followed_and_closed_from_the_office(app, client):
    with app.app_context():
        from tests.builders import csv_bytes as rows_csv
        from tests.builders import published_policy, school

        the_school = school()
        published_policy(the_school.id)
        import_families(the_school.id, rows_csv(_rows()))
        staff(the_school.id)
        db.session.commit()
    sign_in(client, "office@example.com", two_factor=False)
    page = client.get("/office/campaigns").get_data(as_text=True)
    past = client.post(
        "/office/campaigns",
        data={"csrf_token": csrf_token(page), "name": "Late", "closes_on": "2020-01-01"},
    )
    assert past.status_code == 422 and "closing date must be in the future" in past.get_data(
        as_text=True
    )
    options = {"csrf_token": csrf_token(page), "name": "Autumn", "closes_on": "2026-10-16"}
    check = client.post("/office/campaigns", data=options).get_data(as_text=True)
    assert "agreement for Amelia: http://parentlink.test/a/" in check
    response = client.post("/office/campaigns", data={**options, "step": "launch"})
    assert response.status_code == 303
    progress = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'data-done="0" data-total="4"' in progress and "Launched: 4 carers" in progress
    close = response.headers["Location"] + "/close"
    assert client.post(close, data={"csrf_token": csrf_token(progress)}).status_code == 303
    assert "is closed" in client.get(response.headers["Location"]).get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(Message.id))) == 4


def test_only_the_dsl_sees_concerns_in_a_family_timeline(app, client, seeded):
    from parentlink.concerns.models import Concern, ConcernCategory
    from tests.office.sign_in import staff_with_two_factor

    with app.app_context():
        contact = db.session.scalar(select(Contact).where(Contact.mis_id == "C1"))
        pupil_id = contact.links[0].pupil_id
        db.session.add(
            Concern(
                school_id=contact.school_id,
                reference="CN-TEST01",
                contact_id=contact.id,
                pupil_id=pupil_id,
                category=ConcernCategory.CYBERBULLYING,
                description="Private detail that only the DSL may read",
            )
        )
        staff_with_two_factor(contact.school_id, "dsl@example.com", "dsl")
        db.session.commit()
    sign_in(client, "office@example.com", two_factor=False)
    page = client.get(f"/office/families/{pupil_id}").get_data(as_text=True)
    assert "CN-TEST01" not in page and 'data-kind="concern"' not in page
    client.post("/office/logout", data={"csrf_token": csrf_token(page)})
    sign_in(client, "dsl@example.com", two_factor=True)
    page = client.get(f"/office/families/{pupil_id}").get_data(as_text=True)
    assert 'data-kind="concern"' in page and "CN-TEST01" in page
    assert "Private detail" not in page  # the details stay on the concern's own page


def test_the_agreement_pages_show_versions_hashes_and_clauses(app, client, seeded):
    sign_in(client, "office@example.com", two_factor=False)
    page = client.get("/office/agreements").get_data(as_text=True)
    version_url = re.search(r'href="(/office/agreements/versions/\d+)"', page).group(1)
    with app.app_context():
        sha = db.session.scalar(select(Invitation)).campaign.version.sha256
    assert sha in page
    version = client.get(version_url).get_data(as_text=True)
    assert version.count('class="clause"') >= 10 and "Full wording" in version


def test_the_family_page_shows_its_status_and_acts(app, client, seeded):
    sign_in(client, "office@example.com", two_factor=False)
    with app.app_context():
        amelia, ruby, sam = (
            db.session.scalar(select(Pupil.id).where(Pupil.mis_id == mis))
            for mis in ("P1", "P3", "P4")
        )
        c4 = db.session.scalar(select(Contact).where(Contact.mis_id == "C4"))
    assert 'data-status="covered"' in client.get(f"/office/families/{amelia}").get_data(
        as_text=True
    )
    page = client.get(f"/office/families/{ruby}").get_data(as_text=True)
    assert 'data-status="not yet answered"' in page
    assert "Remind now" in page and "Record a paper or phone reply" in page
    listing = client.get("/office/families?q=example").get_data(as_text=True)
    assert listing.count('data-status="covered"') == 1
    assert listing.count('data-status="not yet answered"') == 3
    # a paper reply with a question, recorded from the family page, comes back there
    url = f"/office/campaigns/{seeded}/contacts/{c4.id}/paper?back=/office/families/{ruby}"
    form = client.get(url).get_data(as_text=True)
    key = re.search(r'name="question-([^"]+)"', form).group(1)
    response = client.post(
        url,
        data={
            "csrf_token": csrf_token(form),
            "channel": "paper",
            "typed_name": "Carer Four",
            "taken_by": "Mrs Office",
            f"question-{key}": "Are class photos on the website?",
        },
    )
    assert response.headers["Location"] == f"/office/families/{ruby}"
    page = client.get(f"/office/families/{ruby}").get_data(as_text=True)
    assert 'data-status="questions open"' in page and "1 question added to Questions" in page
    assert "Are class photos on the website?" in page  # on the timeline, in plain words
    assert "confirmed the agreement on paper (recorded by the office)" in page
    questions = client.get("/office/questions").get_data(as_text=True)
    assert "Are class photos on the website?" in questions
    # Sam joined after the launch and his carer has no invitation: still "not yet answered"
    with app.app_context():
        c5 = db.session.scalar(select(Contact).where(Contact.mis_id == "C5"))
        c5.mobile = None
        c5.email = None
        db.session.commit()
    page = client.get(f"/office/families/{sam}").get_data(as_text=True)
    assert 'data-status="cannot reach"' in page


def test_the_headline_is_whole_school_coverage_whatever_campaign_covered_each_pupil(
    app, client, seeded
):
    from datetime import timedelta

    from parentlink.campaigns.audience import Audience, pupils_wanted
    from parentlink.campaigns.models import AudienceKind, Campaign
    from parentlink.campaigns.services import launch_campaign
    from parentlink.core.clock import now

    with app.app_context():
        autumn = db.session.get(Campaign, seeded)
        launch_campaign(
            autumn.school,
            autumn.version,
            name="New starters",
            closes_at=now() + timedelta(days=14),
            actor="test",
            audience=AudienceKind.NEW_STARTERS,
            pupils_wanted=pupils_wanted(autumn.school_id, Audience(AudienceKind.NEW_STARTERS)),
        )
        sams_carer = db.session.scalar(
            select(Invitation)
            .join(Contact)
            .where(Contact.mis_id == "C5", Invitation.campaign_id != seeded)
        )
        confirm(sams_carer, typed_name="Carer Five", ip_address=None, user_agent=None)
        db.session.commit()
    sign_in(client, "office@example.com", two_factor=False)
    page = client.get("/office/").get_data(as_text=True)
    # Amelia (autumn) and Sam (new starters): 2 of the school's 4 pupils, not "100% of 1"
    assert 'data-covered="overall">50%' in page and "2 of 4" in page
    assert "Campaign by campaign: New starters" in page
    assert 'data-campaign-covered="100"' in page  # the detail: the newest campaign's own
    assert 'class="line-chart"' in page and "the target is 4 (90%)" in page
    assert "<title" in page and "Pupils covered by class" in page
    assert re.search(r"data-count-questions>0<", page)
    assert re.search(r"data-count-withdrawals>0<", page)
    autumn_detail = client.get(f"/office/?campaign={seeded}").get_data(as_text=True)
    assert 'data-covered="overall">50%' in autumn_detail
    assert 'data-campaign-covered="25"' in autumn_detail


def test_a_printed_paper_form_carries_the_points_a_reference_and_a_working_qr_link(
    app, client, seeded
):
    sign_in(client, "office@example.com", two_factor=False)
    with app.app_context():
        ruby = db.session.scalar(select(Pupil.id).where(Pupil.mis_id == "P3"))
        c4 = db.session.scalar(select(Contact.id).where(Contact.mis_id == "C4"))
        invitation = db.session.scalar(select(Invitation.id).where(Invitation.contact_id == c4))
    family = client.get(f"/office/families/{ruby}").get_data(as_text=True)
    action = f"/office/campaigns/{seeded}/contacts/{c4}/paper-form"
    assert action in family and "Print a paper form" in family
    form = client.post(action, data={"csrf_token": csrf_token(family)}).get_data(as_text=True)
    assert f"reference <strong data-reference>F-{invitation}</strong>" in form
    assert 'src="data:image/svg+xml' in form and "I have a question about this point" in form
    assert form.count('class="box"') == 18 and "Signature:" in form
    link = re.search(r'class="paper-link">([^<]+)<', form).group(1)
    token = link.rsplit("/", 1)[1]
    parent_page = client.get(f"/a/{token}")  # the QR's link is the family's own
    assert parent_page.status_code == 200
    assert "Our social media agreement" in parent_page.get_data(as_text=True)
    back = client.get(f"/office/campaigns/{seeded}/contacts/{c4}/paper").get_data(as_text=True)
    assert f"Paper form reference F-{invitation}" in back
