"""Questions to answer: the office replies through the outbox, the parent reads the reply on
their link's page, and each role sees only what it should."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from parentlink.campaigns.models import ClauseResponse, FollowUp
from parentlink.core.audit import AuditEvent
from parentlink.db import db
from parentlink.messaging.models import Message, MessageKind
from parentlink.office.models import Role
from tests.builders import csrf_token, family_row, launched, staff
from tests.office.sign_in import sign_in, staff_with_two_factor
from tests.parents.family import answers, parent_keys, token_for

QUESTION = "Can I share the class photo in our family WhatsApp group?"


@pytest.fixture
def asked(app, client):
    """Sarah (C1) asked a question about the first point for Amelia and Oscar."""
    with app.app_context():
        summary = launched(
            [
                family_row("P1", "C1", pupil_first_name="Amelia"),
                family_row("P2", "C1", pupil_first_name="Oscar"),
                family_row("P3", "C2", pupil_first_name="Zain", email=""),
            ]
        )
        school_id = summary.campaign.school_id
        for role in Role:
            if role in (Role.ADMIN, Role.DSL):
                staff_with_two_factor(school_id, f"{role.value}@example.com", role.value)
            else:
                staff(school_id, email=f"{role.value}@example.com", role=role.value)
        db.session.commit()
        token = token_for("C1")
        first_key = parent_keys()[0]
    page = client.get(f"/a/{token}").get_data(as_text=True)
    response = client.post(f"/a/{token}", data=answers(app, page, questions={first_key: QUESTION}))
    assert response.status_code in (200, 303)
    with app.app_context():
        response_id = db.session.scalar(
            select(ClauseResponse.id).where(ClauseResponse.question == QUESTION)
        )
    return {"token": token, "id": response_id}


def _as(client, role: Role):
    sign_in(client, f"{role.value}@example.com", two_factor=role in (Role.ADMIN, Role.DSL))
    return csrf_token(client.get("/office/").get_data(as_text=True))


def test_the_office_sees_the_question_with_its_point_carer_children_and_campaign(client, asked):
    _as(client, Role.OFFICE)
    overview = client.get("/office/").get_data(as_text=True)
    assert 'data-open-questions="1"' in overview
    body = client.get("/office/questions").get_data(as_text=True)
    assert QUESTION in body
    assert "CarerC1 Example" in body and "Amelia Example" in body and "Oscar Example" in body
    assert "Autumn round" in body and "Full wording" in body
    assert "text to 07700 900001" in body and "email to carer1@example.com" in body


def test_a_reply_by_text_goes_through_the_outbox_and_shows_on_the_parents_page(app, client, asked):
    token = _as(client, Role.OFFICE)
    reply = "Yes, a family group is fine; please do not post it publicly."
    response = client.post(
        f"/office/questions/{asked['id']}/reply",
        data={"csrf_token": token, "channel": "sms", "reply": reply},
    )
    assert response.status_code == 303
    assert "Your reply to CarerC1 Example is on its way by text." in client.get(
        response.headers["Location"]
    ).get_data(as_text=True)
    with app.app_context():
        message = db.session.scalar(
            select(Message).where(Message.kind == MessageKind.QUESTION_REPLY)
        )
        assert message.to_address == "+447700900001"
        assert message.body.startswith("Coates Lane Primary: the school's answer to your question:")
        assert reply in message.body
        answered = db.session.get(ClauseResponse, asked["id"])
        assert answered.follow_up is FollowUp.ANSWERED and answered.reply_message_id == message.id
        actions = db.session.scalars(select(AuditEvent.action)).all()
        assert "question.reply" in actions
    assert 'data-open-questions="0"' in client.get("/office/").get_data(as_text=True)
    assert reply in client.get("/office/questions?show=answered").get_data(as_text=True)
    receipt = client.get(f"/a/{asked['token']}").get_data(as_text=True)
    assert QUESTION in receipt and reply in receipt and "The school's answer" in receipt


def test_the_answered_question_stays_on_the_family_timeline(app, client, asked):
    token = _as(client, Role.OFFICE)
    client.post(
        f"/office/questions/{asked['id']}/reply",
        data={"csrf_token": token, "channel": "email", "reply": "Yes, that is fine."},
    )
    with app.app_context():
        from parentlink.directory.models import Pupil

        pupil_id = db.session.scalar(select(Pupil.id).where(Pupil.mis_id == "P1"))
        email = db.session.scalar(select(Message).where(Message.kind == MessageKind.QUESTION_REPLY))
        assert email.to_address == "carer1@example.com" and "Yes, that is fine." in email.body
    page = client.get(f"/office/families/{pupil_id}").get_data(as_text=True)
    assert QUESTION in page and "Yes, that is fine." in page


def test_an_empty_reply_or_no_channel_is_refused_and_changes_nothing(app, client, asked):
    token = _as(client, Role.OFFICE)
    empty = client.post(
        f"/office/questions/{asked['id']}/reply",
        data={"csrf_token": token, "channel": "sms", "reply": "  "},
    )
    assert empty.status_code == 422 and "Write the reply." in empty.get_data(as_text=True)
    no_channel = client.post(
        f"/office/questions/{asked['id']}/reply",
        data={"csrf_token": token, "reply": "Typed words stay"},
    )
    body = no_channel.get_data(as_text=True)
    assert no_channel.status_code == 422 and "Choose how to send the reply" in body
    assert "Typed words stay" in body  # what the office typed is kept
    with app.app_context():
        assert (
            db.session.scalar(select(Message.id).where(Message.kind == MessageKind.QUESTION_REPLY))
            is None
        )
        assert db.session.get(ClauseResponse, asked["id"]).follow_up is FollowUp.OPEN


def test_answered_in_person_sends_nothing(app, client, asked):
    token = _as(client, Role.OFFICE)
    response = client.post(f"/office/questions/{asked['id']}/answered", data={"csrf_token": token})
    assert response.status_code == 303
    with app.app_context():
        assert db.session.get(ClauseResponse, asked["id"]).follow_up is FollowUp.ANSWERED
        assert (
            db.session.scalar(select(Message.id).where(Message.kind == MessageKind.QUESTION_REPLY))
            is None
        )
    again = client.post(f"/office/questions/{asked['id']}/answered", data={"csrf_token": token})
    assert again.status_code == 422
    assert "This question has already been answered." in again.get_data(as_text=True)
    receipt = client.get(f"/a/{asked['token']}").get_data(as_text=True)
    assert "The school has answered your question." in receipt


def test_passed_to_the_safeguarding_lead_only_they_and_the_office_see_it(app, client, asked):
    token = _as(client, Role.OFFICE)
    client.post(f"/office/questions/{asked['id']}/dsl", data={"csrf_token": token})
    assert QUESTION not in client.get("/office/questions").get_data(as_text=True)
    client.post("/office/logout", data={"csrf_token": token})
    _as(client, Role.DSL)
    dsl_page = client.get("/office/questions")
    assert dsl_page.status_code == 200 and QUESTION in dsl_page.get_data(as_text=True)
    assert "Send reply" not in dsl_page.get_data(as_text=True)
    assert client.get("/office/questions?show=open").status_code == 403


def test_the_viewer_sees_the_count_but_not_the_questions(client, asked):
    _as(client, Role.VIEWER)
    overview = client.get("/office/").get_data(as_text=True)
    assert 'data-open-questions="1"' in overview and QUESTION not in overview
    assert client.get("/office/questions").status_code == 403
