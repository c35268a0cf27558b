"""The office: signing in, and the campaign counts."""

from __future__ import annotations

import re

from sqlalchemy import select

from parentlink.core.audit import AuditEvent
from parentlink.db import db
from tests.builders import STAFF_PASSWORD, csrf_token, family_row, launched, staff


def _login(client, email="office@example.com", password=STAFF_PASSWORD):
    page = client.get("/office/login").get_data(as_text=True)
    return client.post(
        "/office/login",
        data={"csrf_token": csrf_token(page), "email": email, "password": password},
    )


def _seed(app):
    with app.app_context():
        summary = launched(
            [
                family_row("P1", "C1"),
                family_row("P2", "C2"),
                family_row("P3", "C3", parental_responsibility="no", relationship="Aunt"),
            ]
        )
        staff(summary.campaign.school_id)
        db.session.commit()


def test_the_office_needs_a_sign_in(app, client):
    _seed(app)
    response = client.get("/office/")
    assert response.status_code == 302
    assert "/office/login" in response.headers["Location"]


def test_a_wrong_password_or_unknown_email_gets_the_same_answer(app, client):
    _seed(app)
    wrong = _login(client, password="not the password at all")
    unknown = _login(client, email="nobody@example.com")
    assert wrong.status_code == unknown.status_code == 422
    message = "The email address or password is not right."
    assert message in wrong.get_data(as_text=True) and message in unknown.get_data(as_text=True)
    assert client.get("/office/").status_code == 302
    with app.app_context():
        actions = db.session.scalars(select(AuditEvent.action)).all()
        assert actions.count("staff.login_failed") == 2


def test_a_sign_in_without_the_csrf_token_is_refused(app, client):
    _seed(app)
    response = client.post(
        "/office/login", data={"email": "office@example.com", "password": STAFF_PASSWORD}
    )
    assert response.status_code == 400
    assert client.get("/office/").status_code == 302


def test_the_overview_counts_the_campaign(app, client):
    _seed(app)
    assert _login(client).status_code == 303
    page = client.get("/office/").get_data(as_text=True)
    counts = dict(re.findall(r'data-count="(\w+)">(\d+)<', page))
    assert counts == {
        "invited": "2",
        "sent": "0",
        "delivered": "0",
        "opened": "0",
        "confirmed": "0",
    }
    with app.app_context():
        assert "staff.login" in db.session.scalars(select(AuditEvent.action)).all()


def test_signing_out_needs_a_post(app, client):
    _seed(app)
    _login(client)
    assert client.get("/office/logout").status_code == 405
    page = client.get("/office/").get_data(as_text=True)
    assert client.post("/office/logout", data={"csrf_token": csrf_token(page)}).status_code == 303
    assert client.get("/office/").status_code == 302
