"""Every office page, tried by every role: allowed roles get the page, others a bare 403
that names nobody, and every refusal is in the audit log."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from parentlink.agreements.drafts import new_draft
from parentlink.agreements.models import Audience
from parentlink.campaigns.models import Answer, AudienceKind, Invitation
from parentlink.campaigns.rounds import RoundReason, TermRound
from parentlink.campaigns.services import confirm
from parentlink.core.audit import AuditEvent
from parentlink.db import db
from parentlink.directory.models import Contact, ImportUpload, Pupil, PupilContact
from parentlink.messaging.models import InboundMessage
from parentlink.office.models import Role, StaffUser
from parentlink.office.permissions import PERMISSIONS, Permission
from parentlink.office.routes import PUBLIC
from tests.builders import csrf_token, csv_bytes, family_row, launched, staff
from tests.office.sign_in import sign_in, staff_with_two_factor

ROWS = [family_row("P1", "C1", pupil_first_name="Amelia")]
SECRET_NAMES = ("Amelia", "Carerc1", "CarerC1", "07700", "example.com")

# endpoint -> (method, url template, form fields); ids are filled from the seeded data.
OFFICE_PAGES = {
    "office.overview": ("GET", "/office/", {}),
    "office.non_responders": ("GET", "/office/not-answered", {}),
    "office.call_list": ("GET", "/office/not-answered/call-list", {}),
    "office.remind": ("POST", "/office/invitations/{invitation}/remind", {}),
    "office.paper_confirmation": (
        "GET",
        "/office/campaigns/{campaign}/contacts/{contact}/paper",
        {},
    ),
    "office.paper_form": (
        "POST",
        "/office/campaigns/{campaign}/contacts/{contact}/paper-form",
        {},
    ),
    "office.flag_details": (
        "POST",
        "/office/contacts/{contact}/wrong-details",
        {"reason": "number unobtainable"},
    ),
    "office.families": ("GET", "/office/families?q=Amelia", {}),
    "office.evidence": ("GET", "/office/families/{pupil}/evidence", {}),
    "office.export_pupils": ("GET", "/office/campaigns/{campaign}/pupils.csv", {}),
    "office.export_contacts": ("GET", "/office/campaigns/{campaign}/contacts.csv", {}),
    "office.questions": ("GET", "/office/questions", {}),
    "office.question_reply": (
        "POST",
        "/office/questions/{question}/reply",
        {"channel": "sms", "reply": "Yes, that is fine."},
    ),
    "office.question_answered": ("POST", "/office/questions/{question}/answered", {}),
    "office.question_to_dsl": ("POST", "/office/questions/{question}/dsl", {}),
    "office.agreements": ("GET", "/office/agreements", {}),
    "office.version": ("GET", "/office/agreements/versions/{version}", {}),
    "office.new_draft": ("POST", "/office/agreements/versions/{version}/draft", {}),
    "office.publish_version": ("POST", "/office/agreements/versions/{draft}/publish", {}),
    "office.edit_clause": ("GET", "/office/agreements/clauses/{clause}", {}),
    "office.edit_translation": ("GET", "/office/agreements/versions/{version}/translations/pl", {}),
    "office.family_language": ("POST", "/office/agreements/family-language", {"on": "yes"}),
    "office.campaigns": ("GET", "/office/campaigns", {}),
    "office.campaign": ("GET", "/office/campaigns/{campaign}", {}),
    "office.close_campaign": ("POST", "/office/campaigns/{campaign}/close", {}),
    "office.messages": ("GET", "/office/messages?status=queued", {}),
    "office.data_quality": ("GET", "/office/data-quality", {}),
    "office.import_upload": ("GET", "/office/import", {}),
    "office.import_mapping": ("GET", "/office/import/{upload}/columns", {}),
    "office.import_preview": ("GET", "/office/import/{upload}/preview", {}),
    "office.import_commit": ("POST", "/office/import/{upload}/commit", {}),
    "office.import_identity": ("POST", "/office/import/{upload}/identity", {}),
    "office.term_dates_preview": ("POST", "/office/settings/term-dates", {}),
    "office.term_dates_save": ("POST", "/office/settings/term-dates/save", {"plan": "x"}),
    "office.family": ("GET", "/office/families/{pupil}", {}),
    "office.court_order": (
        "POST",
        "/office/families/{pupil}/carers/{link}/court-order",
        {"action": "set", "reason": "Prohibited steps order"},
    ),
    "office.jobs": ("GET", "/office/jobs/", {}),
    "office.inbox": ("GET", "/office/inbox", {}),
    "office.inbox_to_concern": ("POST", "/office/inbox/{inbound}/concern", {}),
    "office.settings": ("GET", "/office/settings", {}),
    "office.staff": ("GET", "/office/staff", {}),
    "office.staff_change": ("POST", "/office/staff/{viewer_staff}?change=role", {"role": "viewer"}),
    "office.audit": ("GET", "/office/audit?action=staff.", {}),
    "office.account": ("GET", "/office/account", {}),
    "office.rounds": ("GET", "/office/rounds", {}),
    "office.round_change": ("POST", "/office/rounds/{round}/pause", {}),
    "office.remind_selected": ("POST", "/office/campaigns/{campaign}/remind", {}),
    "office.change_password": ("POST", "/office/account/password", {}),
}
# Sections of the settings page, each posted on its own: refused like the page itself.
SETTINGS_POSTS = ["school", "window", "sms", "safeguarding", "term", "test-email"]


@pytest.fixture
def seeded(app):
    with app.app_context():
        summary = launched(ROWS)
        school_id = summary.campaign.school_id
        for role in Role:
            if role in (Role.ADMIN, Role.DSL):
                staff_with_two_factor(school_id, f"{role.value}@example.com", role.value)
            else:
                staff(school_id, email=f"{role.value}@example.com", role=role.value)
        ids = {
            "campaign": summary.campaign.id,
            "version": summary.campaign.version_id,
            "invitation": db.session.scalar(select(Invitation.id)),
            "contact": db.session.scalar(select(Contact.id)),
            "pupil": db.session.scalar(select(Pupil.id)),
        }
        ids["link"] = db.session.scalar(
            select(PupilContact.id).where(PupilContact.pupil_id == ids["pupil"])
        )
        upload = ImportUpload(school_id=school_id, filename="x.csv", content=csv_bytes(ROWS))
        db.session.add(upload)
        db.session.flush()
        ids["upload"] = upload.id
        inbound = InboundMessage(
            school_id=school_id,
            contact_id=ids["contact"],
            provider_id="SM" + "1" * 32,
            from_number="+447700900001",
            to_number="+447700900999",
            body="someone posted a photo",
        )
        db.session.add(inbound)
        db.session.flush()
        ids["inbound"] = inbound.id
        ids["viewer_staff"] = db.session.scalar(
            select(StaffUser.id).where(StaffUser.email == "viewer@example.com")
        )
        invitation = db.session.get(Invitation, ids["invitation"])
        first = summary.campaign.version.clauses_for(Audience.PARENTS_CARERS)[0]
        asked = confirm(
            invitation,
            typed_name="A Carer",
            ip_address=None,
            user_agent=None,
            answers={first.key: (Answer.QUESTION, "May I post the nativity photo?")},
        )
        ids["question"] = next(r.id for r in asked.responses if r.question)
        spring = TermRound(
            school_id=school_id,
            term_name="Spring 2027",
            reason=RoundReason.TERMLY,
            audience=AudienceKind.NOT_CONFIRMED,
            starts_on=date(2027, 1, 8),
        )
        db.session.add(spring)
        db.session.flush()
        ids["round"] = spring.id
        draft = new_draft(summary.campaign.version, actor="test")
        ids["draft"], ids["clause"] = draft.id, draft.clauses[0].id
        db.session.commit()
    return ids


def test_every_office_page_is_in_this_test_and_states_a_permission(app):
    public = {f"office.{endpoint}" for _, endpoint, _, _ in PUBLIC}
    office_endpoints = {
        rule.endpoint for rule in app.url_map.iter_rules() if rule.rule.startswith("/office")
    }
    mine = {e for e in office_endpoints if e.startswith("office.")} - public
    assert mine == set(OFFICE_PAGES)
    for endpoint in office_endpoints - public:
        view = app.view_functions[endpoint]
        assert isinstance(getattr(view, "required_permission", None), Permission), endpoint


@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.value)
@pytest.mark.parametrize("endpoint", sorted(OFFICE_PAGES))
def test_each_role_gets_exactly_its_pages(app, client, seeded, role, endpoint):
    sign_in(client, f"{role.value}@example.com", two_factor=role in (Role.ADMIN, Role.DSL))
    method, url, fields = OFFICE_PAGES[endpoint]
    url = url.format(**seeded)
    token = csrf_token(client.get("/office/").get_data(as_text=True))
    if method == "GET":
        response = client.get(url)
    else:
        response = client.post(url, data={"csrf_token": token, **fields})
    permission = app.view_functions[endpoint].required_permission
    if permission in PERMISSIONS[role]:
        assert response.status_code in (200, 303, 422), response.status_code
    else:
        assert response.status_code == 403
        body = response.get_data(as_text=True)
        for secret in SECRET_NAMES:
            assert secret not in body
        with app.app_context():
            refused = db.session.scalars(
                select(AuditEvent.detail).where(AuditEvent.action == "staff.permission_refused")
            ).all()
            assert len(refused) == 1 and permission.value in refused[0]


@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.value)
@pytest.mark.parametrize("section", SETTINGS_POSTS)
def test_only_administrators_may_post_a_settings_section(app, client, seeded, role, section):
    sign_in(client, f"{role.value}@example.com", two_factor=role in (Role.ADMIN, Role.DSL))
    token = csrf_token(client.get("/office/").get_data(as_text=True))
    response = client.post(
        f"/office/settings?section={section}", data={f"{section}-csrf_token": token}
    )
    if role is Role.ADMIN:
        assert response.status_code in (303, 422)
    else:
        assert response.status_code == 403
        with app.app_context():
            refused = db.session.scalars(
                select(AuditEvent.detail).where(AuditEvent.action == "staff.permission_refused")
            ).all()
            assert len(refused) == 1 and "manage-settings" in refused[0]


def test_without_a_sign_in_every_page_sends_you_to_sign_in(client, seeded):
    for method, url, _fields in OFFICE_PAGES.values():
        if method == "GET":
            response = client.get(url.format(**seeded))
            assert response.status_code == 302
            assert "/office/login" in response.headers["Location"]


def test_the_viewer_sees_no_family_details_on_the_overview(client, seeded):
    sign_in(client, "viewer@example.com", two_factor=False)
    body = client.get("/office/").get_data(as_text=True)
    assert "100%" in body or "0%" in body
    assert "Amelia" not in body and "Not yet answered" not in body


@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.value)
@pytest.mark.parametrize("step", ["preview", "change", "launch"])
def test_only_roles_that_run_campaigns_may_preview_or_launch_one(app, client, seeded, role, step):
    from sqlalchemy import func

    from parentlink.campaigns.models import Campaign

    sign_in(client, f"{role.value}@example.com", two_factor=role in (Role.ADMIN, Role.DSL))
    token = csrf_token(client.get("/office/").get_data(as_text=True))
    response = client.post(
        "/office/campaigns",
        data={
            "csrf_token": token,
            "name": "Spring",
            "closes_on": "2026-10-16",
            "step": step,
            "ask_again": "y",  # the seeded campaign already asked everyone
        },
    )
    allowed = Permission.RUN_CAMPAIGNS in PERMISSIONS[role]
    expected = {"preview": 200, "change": 200, "launch": 303}[step] if allowed else 403
    assert response.status_code == expected
    with app.app_context():
        campaigns = db.session.scalar(select(func.count(Campaign.id)))
    assert campaigns == (2 if allowed and step == "launch" else 1)
