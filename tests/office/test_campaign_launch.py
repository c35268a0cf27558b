"""Starting a campaign from the office: its options, the preview for the chosen audience,
and every bad input refused with a message while nothing is launched."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from parentlink.campaigns.models import (
    AudienceKind,
    Campaign,
    CompletionRule,
    Invitation,
)
from parentlink.db import db
from parentlink.directory.importer import import_families
from parentlink.directory.models import Contact
from parentlink.messaging.models import Message
from tests.builders import csrf_token, csv_bytes, family_row, published_policy, school, staff
from tests.office.sign_in import sign_in

LONG = "Maximilianaugustine"


def _rows(*extra):
    return [
        family_row("P1", "C1", pupil_first_name="Amelia", year_group="Year 3", **{"class": "3K"}),
        family_row("P1", "C2", pupil_first_name="Amelia", year_group="Year 3", **{"class": "3K"}),
        family_row("P2", "C3", pupil_first_name="Oscar", year_group="Year 3", **{"class": "3K"}),
        family_row("P3", "C4", pupil_first_name="Ruby", year_group="Year 4", **{"class": "4M"}),
        family_row(
            "P4", "C5", pupil_first_name="Ned", year_group="Year 5", preferred_channel="email"
        ),
        *extra,
    ]


@pytest.fixture
def office(app, client):
    with app.app_context():
        the_school = school()
        published_policy(the_school.id)
        import_families(the_school.id, csv_bytes(_rows()))
        staff(the_school.id)
        db.session.commit()
    sign_in(client, "office@example.com", two_factor=False)
    page = client.get("/office/campaigns").get_data(as_text=True)
    return {"csrf_token": csrf_token(page), "name": "Autumn", "closes_on": "2026-10-16"}


def _campaigns(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Campaign.id)))


def test_the_form_offers_each_year_group_and_class_with_its_pupils(client, office):
    page = client.get("/office/campaigns").get_data(as_text=True)
    assert "The whole school (4 pupils)" in page
    assert "Year 3 (2 pupils)" in page and "Year 4 (1 pupil)" in page
    assert "3K (2 pupils)" in page and "4M (1 pupil)" in page
    assert "New starters: pupils no earlier campaign has asked about (4 pupils)" in page
    # reminders as plain controls, filled with the default 3, 7 and 10 school days
    days = re.findall(r'name="reminder_day_\d" type="number"[^>]* value="(\d*)"', page)
    assert days == ["3", "7", "10"]
    assert re.search(r'<option selected value="other">the other way', page)
    # a default closing date that leaves time for the last reminder
    assert re.search(r'name="closes_on"[^>]*value="\d{4}-\d\d-\d\d"', page)
    assert re.search(r'<option selected value="\d+">Version 1', page)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": ""}, "Give the campaign a name."),
        ({"audience": "year-groups"}, "Choose at least one year group."),
        ({"audience": "classes"}, "Choose at least one class."),
        ({"year_groups": "Year 3"}, "You ticked some year groups: choose"),
        ({"audience": "classes", "classes": "9Z"}, "There is no current pupil in 9Z."),
        ({"audience": "everyone"}, "Not a valid choice"),
        ({"completion_rule": "nobody"}, "Not a valid choice"),
        ({"reminder_policy": "3:text"}, "each step is &lt;school days after launch&gt;"),
        ({"reminder_policy": "7:same,3:other"}, "the days must go up"),
        ({"reminder_policy": "1:same,2:same,3:same,4:same"}, "at most 3 reminders"),
        ({"reminder_policy": ""}, "Choose at least one reminder"),
        ({"reminder_day_1": "7", "reminder_day_2": "3"}, "Reminders: the days must go up"),
        ({"reminder_day_1": "", "reminder_day_2": "", "reminder_day_3": ""}, "Choose at least"),
        ({"reminder_day_1": "0"}, "Number must be between 1 and 60."),
        ({"closes_on": ""}, "Enter the closing date, for example 16/10/2026."),
        ({"closes_on": "32/10/2026"}, "Enter the closing date, for example 16/10/2026."),
        ({"closes_on": "2020-01-01"}, "The closing date must be in the future."),
        ({"closes_on": "2028-01-01"}, "Choose a closing date within a year."),
        (
            {"closes_on": "2026-09-25"},  # the default's last reminder is 10 school days on
            "The last reminder goes on Monday 28 September (school day 10 after today)",
        ),
        ({"version_id": "999"}, "Choose a published version of the agreement."),
    ],
)
@pytest.mark.parametrize("step", ["preview", "launch"])
def test_bad_options_are_refused_with_a_message_and_nothing_is_launched(
    app, client, office, changes, message, step
):
    response = client.post("/office/campaigns", data={**office, **changes, "step": step})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in page and "There is a problem" in page
    assert "Launch and send" not in page
    assert _campaigns(app) == 0


def test_one_year_group_is_previewed_then_launched_with_its_options(app, client, office):
    options = {
        **office,
        "audience": "year-groups",
        "year_groups": "Year 3",
        "completion_rule": "every-carer",
        "reminder_policy": " 2:same , 5:both ",
    }
    check = client.post("/office/campaigns", data=options)
    page = check.get_data(as_text=True)
    assert check.status_code == 200 and _campaigns(app) == 0
    assert "Year groups: Year 3" in page and "every carer with parental responsibility" in page
    assert "2 school days after the launch: the same channel; 5" in page
    assert 'data-count="sms"><strong>3</strong>' in page
    assert 'data-count="email"><strong>0</strong>' in page
    assert "agreement for Amelia: http://parentlink.test/a/" in page
    assert 'data-segments="1">3<' in page and "data-total-segments>3<" in page
    assert "data-cost>£0.12<" in page  # 3 segments at the default £0.04
    assert "Launch and send 3 messages" in page
    assert 'type="hidden" name="year_groups" value="Year 3"' in page

    back = client.post("/office/campaigns", data={**options, "step": "change"})
    form = back.get_data(as_text=True)
    assert back.status_code == 200 and 'value="Year 3" checked' in form
    assert 'value="every-carer" checked' in form and _campaigns(app) == 0

    launched = client.post("/office/campaigns", data={**options, "step": "launch"})
    assert launched.status_code == 303
    with app.app_context():
        campaign = db.session.scalar(select(Campaign))
        assert campaign.audience_kind is AudienceKind.YEAR_GROUPS
        assert campaign.audience_values == "Year 3"
        assert campaign.completion_rule is CompletionRule.EVERY_CARER
        assert campaign.reminder_policy == "2:same,5:both"
        invited = db.session.scalars(
            select(Contact.mis_id).join(Invitation).order_by(Contact.mis_id)
        ).all()
        assert invited == ["C1", "C2", "C3"]
        assert db.session.scalar(select(func.count(Message.id))) == 3
    progress = client.get(launched.headers["Location"]).get_data(as_text=True)
    assert 'data-total="3"' in progress and "Launched: 3 carers" in progress


def test_a_date_typed_the_uk_way_is_understood(client, office):
    page = client.post("/office/campaigns", data={**office, "closes_on": "16/10/2026"})
    assert page.status_code == 200 and "Friday 16 October 2026, 23:59" in page.get_data(
        as_text=True
    )


def test_the_preview_shows_the_email_for_an_audience_that_gets_one(client, office):
    page = client.post(
        "/office/campaigns", data={**office, "audience": "classes", "classes": "Kestrels"}
    ).get_data(as_text=True)
    assert 'data-count="email"><strong>1</strong>' in page
    assert 'data-count="sms"><strong>0</strong>' in page
    assert "Dear CarerC5," in page and "for Ned here:" in page
    assert "Subject: <strong>" in page and "data-sample" not in page


def test_new_starters_are_the_pupils_no_earlier_campaign_asked_about(app, client, office):
    client.post("/office/campaigns", data={**office, "step": "launch"})
    with app.app_context():
        import_families(
            1,
            csv_bytes(_rows(family_row("P9", "C9", pupil_first_name="Sam", year_group="Year 4"))),
        )
        db.session.commit()
    form = client.get("/office/campaigns").get_data(as_text=True)
    assert "has asked about (1 pupil)" in form
    options = {**office, "name": "Sam", "audience": "new-starters"}
    page = client.post("/office/campaigns", data=options).get_data(as_text=True)
    assert "agreement for Sam:" in page and "Launch and send 1 message<" in page
    assert client.post("/office/campaigns", data={**options, "step": "launch"}).status_code == 303
    with app.app_context():
        latest = db.session.scalar(select(Campaign).order_by(Campaign.id.desc()).limit(1))
        assert latest.audience_kind is AudienceKind.NEW_STARTERS
        invited = db.session.scalars(
            select(Contact.mis_id).join(Invitation).where(Invitation.campaign_id == latest.id)
        ).all()
        assert invited == ["C9"]


def test_an_audience_nobody_can_be_asked_in_cannot_be_launched(app, client, office):
    client.post("/office/campaigns", data={**office, "step": "launch"})
    options = {**office, "audience": "new-starters"}
    for step in ("preview", "launch"):
        response = client.post("/office/campaigns", data={**options, "step": step})
        page = response.get_data(as_text=True)
        assert "Nobody in this audience is left to ask" in page and "Launch and send" not in page
    assert response.status_code == 422 and _campaigns(app) == 1


def test_a_text_over_the_segment_limit_is_named_and_blocks_the_launch(app, client, office):
    with app.app_context():
        long_family = [
            family_row(f"L{i}", "C7", pupil_first_name=f"{LONG}{i:02d}", year_group="Year 6")
            for i in range(1, 11)
        ]
        import_families(1, csv_bytes(_rows(*long_family)))
        db.session.commit()
    response = client.post("/office/campaigns", data=office)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Launch and send" not in page
    assert "1 text message cannot be sent as it is" in page
    assert re.search(r"<li data-over-limit>CarerC7 Example \(for Maximilianaugustine01,", page)
    assert "3 segments, more than the school&#39;s limit of 2;" in page
    assert 'class="job-failed"><th scope="row">3</th>' in page
    launch = client.post("/office/campaigns", data={**office, "step": "launch"})
    assert launch.status_code == 422 and "CarerC7 Example" in launch.get_data(as_text=True)
    assert _campaigns(app) == 0
    year_3 = {**office, "audience": "year-groups", "year_groups": "Year 3"}
    assert "Launch and send 3 messages" in client.post("/office/campaigns", data=year_3).get_data(
        as_text=True
    )


def test_every_error_is_shown_at_once(client, office):
    page = client.post(
        "/office/campaigns",
        data={**office, "name": "", "audience": "classes", "closes_on": "", "reminder_day_1": "0"},
    ).get_data(as_text=True)
    for message in (
        "Give the campaign a name.",
        "Choose at least one class.",
        "Enter the closing date",
        "Number must be between 1 and 60.",
    ):
        assert message in page


def test_the_plain_reminder_controls_make_the_policy_and_the_cost_counts_them(app, client, office):
    controls = {
        **office,
        "reminder_day_1": "2",
        "reminder_channel_1": "same",
        "reminder_day_2": "5",
        "reminder_channel_2": "both",
        "reminder_day_3": "",
        "reminder_channel_3": "both",
    }
    page = client.post("/office/campaigns", data=controls).get_data(as_text=True)
    assert "2 school days after the launch: the same channel; 5" in page
    # 4 texts of 1 segment and 1 email: 60% get reminder 1 by text (4 x 0.6 x £0.04),
    # 45% reminder 2 by text and email (5 x 0.45 x £0.04)
    assert "data-cost>£0.16<" in page and "data-reminders-cost>£0.19<" in page
    assert "data-total-cost>£0.35<" in page
    client.post("/office/campaigns", data={**controls, "step": "launch"})
    with app.app_context():
        assert db.session.scalar(select(Campaign.reminder_policy)) == "2:same,5:both"


def test_a_second_campaign_leaves_out_covered_pupils_and_live_links_unless_asked(
    app, client, office
):
    from parentlink.campaigns.services import confirm

    client.post("/office/campaigns", data={**office, "step": "launch"})
    with app.app_context():
        invitation = db.session.scalar(
            select(Invitation).join(Contact).where(Contact.mis_id == "C4")
        )
        confirm(invitation, typed_name="Carer Four", ip_address=None, user_agent=None)
        import_families(
            1,
            csv_bytes(_rows(family_row("P9", "C1", pupil_first_name="Sam", year_group="Year 4"))),
        )
        db.session.commit()
    again = {**office, "name": "Again"}
    page = client.post("/office/campaigns", data=again).get_data(as_text=True)
    # Ruby (P3) is covered; all five carers hold live links; C1's new child Sam is on none
    assert "data-covered-pupils>1<" in page and "data-live-carers>5<" in page
    assert "They are left out of this campaign" in page
    assert "Launch and send 1 message<" in page and "agreement for Sam:" in page
    client.post("/office/campaigns", data={**again, "step": "launch"})
    with app.app_context():
        latest = db.session.scalar(select(Campaign).order_by(Campaign.id.desc()).limit(1))
        invited = db.session.scalars(
            select(Contact.mis_id).join(Invitation).where(Invitation.campaign_id == latest.id)
        ).all()
        assert invited == ["C1"]
        assert [
            p.first_name
            for p in db.session.scalar(
                select(Invitation).where(Invitation.campaign_id == latest.id)
            ).pupils
        ] == ["Sam"]
    anyway = {**office, "name": "Anyway", "ask_again": "y"}
    page = client.post("/office/campaigns", data=anyway).get_data(as_text=True)
    assert "You chose to ask them again" in page and "Launch and send 5 messages" in page
    assert 'type="hidden" name="ask_again" value="y"' in page
