"""Parents are told only the safeguarding lead reads their report. So no office page or
export shown to an office, admin or viewer account may reveal that a family reported a
concern: not the acknowledgement message, not an event, not the reference."""

from __future__ import annotations

import re

import pytest
from markupsafe import escape
from sqlalchemy import select

from parentlink.agreements.models import Clause
from parentlink.campaigns.models import Invitation
from parentlink.concerns.models import Concern
from parentlink.db import db
from parentlink.directory.models import Contact, Pupil
from parentlink.messaging.models import Message, MessageKind
from parentlink.office.models import Role
from parentlink.office.permissions import PERMISSIONS
from tests.builders import csrf_token
from tests.concerns.family import login, seed
from tests.office.test_permissions import OFFICE_PAGES

DESCRIPTION = "Someone in a group chat keeps posting mean things about Amelia."
# Pages not about any family (settings, jobs): the word "concern" may name a feature there.
GENERAL_PAGES = {
    "office.settings",
    "office.jobs",
    "office.staff",
    "office.account",
    "office.agreements",
    "office.version",
}
EXTRA = {  # the unfiltered views of pages the permissions test opens with a filter
    "office.messages": ["/office/messages", "/office/messages?kind=concern-ack"],
    "office.audit": ["/office/audit", "/office/audit?action=concern."],
}


@pytest.fixture
def app_config(tmp_path) -> dict:
    return {"UPLOAD_DIR": str(tmp_path / "uploads")}


@pytest.fixture
def reported(app, client):
    """Sarah reported a concern about Amelia from her link; the acknowledgement is queued."""
    token = seed(app)
    page = client.get(f"/a/{token}/concern").get_data(as_text=True)
    pupil = re.search(r'name="pupil" (?:required )?type="radio" value="(\d+)"', page).group(1)
    response = client.post(
        f"/a/{token}/concern",
        data={
            "csrf_token": csrf_token(page),
            "category": "cyberbullying",
            "description": DESCRIPTION,
            "platform": "WhatsApp",
            "happened_on": "2026-09-12",
            "pupil": pupil,
        },
    )
    assert response.status_code in (200, 303)
    with app.app_context():
        concern = db.session.scalar(select(Concern))
        ack = db.session.scalar(select(Message).where(Message.kind == MessageKind.CONCERN_ACK))
        assert concern is not None and ack is not None
        ids = {
            "campaign": db.session.scalar(select(Invitation.campaign_id)),
            "invitation": db.session.scalar(select(Invitation.id)),
            "contact": concern.contact_id,
            "pupil": concern.pupil_id,
            "version": 1,
            "draft": 1,
            "clause": 1,
            "upload": 1,
            "inbound": 1,
            "viewer_staff": 1,
        }
        siblings = db.session.scalars(select(Pupil.id)).all()
        policy = [
            str(escape(t)) for c in db.session.scalars(select(Clause)) for t in (c.summary, c.body)
        ]
        return {
            "ids": ids,
            "pupils": siblings,
            "policy": policy,
            "traces": [concern.reference, DESCRIPTION, "WhatsApp", ack.body.split(":", 1)[1][:40]],
        }


def _pages(ids: dict, pupils: list[int]) -> list[tuple[str, str]]:
    pages = []
    for endpoint, (method, url, _fields) in sorted(OFFICE_PAGES.items()):
        if method != "GET" or "{upload}" in url or "{clause}" in url:
            continue
        for u in EXTRA.get(endpoint, [url]):
            pages.append((endpoint, u.format(**ids)))
    for pupil in pupils:  # every family page and evidence page, not just the reporter's
        pages.append(("office.family", f"/office/families/{pupil}"))
        pages.append(("office.evidence", f"/office/families/{pupil}/evidence"))
    pages.append(("office.families", "/office/families"))
    return pages


def _role(endpoint: str, role: Role, app) -> bool:
    return app.view_functions[endpoint].required_permission in PERMISSIONS[role]


@pytest.mark.parametrize("role", [Role.OFFICE, Role.ADMIN, Role.VIEWER], ids=lambda r: r.value)
def test_no_office_admin_or_viewer_page_or_export_mentions_the_concern(app, client, reported, role):
    login(client, role.value)
    opened = 0
    for endpoint, url in _pages(reported["ids"], reported["pupils"]):
        if not _role(endpoint, role, app):
            continue
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        body = response.get_data(as_text=True)
        opened += 1
        for trace in reported["traces"]:
            assert trace not in body, (url, trace)
        if endpoint not in GENERAL_PAGES and "concern" not in url:  # (a filter typed in)
            for text in reported["policy"]:  # the school's policy may use the word itself
                body = body.replace(text, "")
            assert not re.search(r"concern", body, re.IGNORECASE), url
    assert opened >= (3 if role is Role.VIEWER else 15)


def test_the_safeguarding_lead_sees_the_traces_the_others_do_not(app, client, reported):
    login(client, "dsl")
    pupil = reported["ids"]["pupil"]
    timeline = client.get(f"/office/families/{pupil}").get_data(as_text=True)
    assert reported["traces"][0] in timeline  # the concern, by its reference
    assert "acknowledgement of the concern" in timeline
    evidence = client.get(f"/office/families/{pupil}/evidence").get_data(as_text=True)
    assert "concern ack" in evidence
    messages = client.get("/office/messages?kind=concern-ack").get_data(as_text=True)
    with app.app_context():
        contact = db.session.get(Contact, reported["ids"]["contact"])
        assert contact.first_name in messages


def test_the_jobs_page_does_not_tell_an_administrator_that_an_alert_went_out(app, client, reported):
    """The concern alert job ran and alerted the DSL: the administrator's jobs page says it
    ran, not how many alerts it sent (that would date a family's report)."""
    from jobs import runner

    runner.bind(app)
    assert runner.run_job("concern_alerts")["alerted"] == 1
    assert runner.run_job("heartbeat") == {"alive": 1}
    login(client, "admin")
    page = client.get("/office/jobs/").get_data(as_text=True)
    row = re.search(r'<tr data-job="concern_alerts".*?</tr>', page, re.S).group(0)
    assert "ok" in row and "alerted" not in row
    assert "alive 1" in page  # other jobs keep their counts
