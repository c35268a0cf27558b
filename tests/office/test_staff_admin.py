"""An administrator manages staff: invite (a one-time link to choose a password), change
role, reset two-factor, deactivate; the last administrator cannot lock the school out."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import func, select

from parentlink.core.audit import AuditEvent
from parentlink.db import db
from parentlink.messaging.models import LINK_PLACEHOLDER, Message, MessageKind
from parentlink.office.models import Role, StaffUser
from parentlink.office.services import create_staff
from tests.builders import STAFF_PASSWORD, csrf_token, school, staff
from tests.office.sign_in import post_login, sign_in, staff_with_two_factor

NEW_PASSWORD = "plum rocket window seven"  # noqa: S105


@pytest.fixture
def admin_client(app, client):
    with app.app_context():
        the_school = school()
        staff_with_two_factor(the_school.id, "admin@example.com", "admin")
        staff(the_school.id, email="office@example.com")
        db.session.commit()
    sign_in(client, "admin@example.com", two_factor=True)
    return client


def staff_id(app, email: str) -> int:
    with app.app_context():
        return db.session.scalar(select(StaffUser.id).where(StaffUser.email == email))


def invite(client, **fields):
    token = csrf_token(client.get("/office/staff").get_data(as_text=True))
    return client.post("/office/staff", data={"csrf_token": token, **fields})


def change(client, user_id: int, what: str, **fields):
    token = csrf_token(client.get("/office/staff").get_data(as_text=True))
    response = client.post(
        f"/office/staff/{user_id}?change={what}", data={"csrf_token": token, **fields}
    )
    if response.status_code == 303:
        return client.get(response.headers["Location"]).get_data(as_text=True)
    return response.get_data(as_text=True)


def setup_path(page: str) -> str:
    (link,) = re.findall(r"data-setup-link>([^<]+)<", page)
    return link.replace("http://parentlink.test", "")


def choose(client, path: str, password: str, repeated: str | None = None):
    page = client.get(path)
    token = csrf_token(page.get_data(as_text=True))
    return client.post(
        path,
        data={"csrf_token": token, "password": password, "repeated": repeated or password},
    )


def test_an_invited_colleague_chooses_a_password_with_a_one_time_link(app, admin_client):
    response = invite(admin_client, name="Dee Lead", email="dee@example.com", role="dsl")
    assert response.status_code == 200
    path = setup_path(response.get_data(as_text=True))
    token = path.rsplit("/", 1)[1]
    with app.app_context():
        user = db.session.scalar(select(StaffUser).where(StaffUser.email == "dee@example.com"))
        assert user.role is Role.DSL and not user.check_password("")
        mail = db.session.scalar(select(Message).where(Message.kind == MessageKind.STAFF_INVITE))
        assert mail.to_address == "dee@example.com"
        assert LINK_PLACEHOLDER in mail.body and token not in mail.body  # token kept apart
        assert mail.link_token == token
        assert token not in json.dumps(db.session.scalars(select(AuditEvent.detail)).all())
    colleague = app.test_client()
    mismatch = choose(colleague, path, NEW_PASSWORD, "something else entirely")
    assert mismatch.status_code == 422
    assert "The two passwords are not the same" in mismatch.get_data(as_text=True)
    short = choose(colleague, path, "short")
    assert short.status_code == 422 and "at least 12 characters" in short.get_data(as_text=True)
    done = choose(colleague, path, NEW_PASSWORD)
    assert done.status_code == 303 and done.headers["Location"].endswith("/office/login")
    assert done.headers["Referrer-Policy"] == "same-origin"
    assert colleague.get(path).status_code == 404  # once only
    signed_in = post_login(colleague, "dee@example.com", NEW_PASSWORD)
    assert signed_in.status_code == 303  # on to set up two-factor, which a DSL needs


def test_the_invitation_email_carries_the_link_when_it_leaves(app, admin_client):
    from parentlink.messaging.dispatcher import dispatch_pending
    from parentlink.messaging.gateways.sandbox import read_sandbox

    page = invite(admin_client, name="Dee Lead", email="dee@example.com", role="office")
    link = "http://parentlink.test" + setup_path(page.get_data(as_text=True))
    with app.app_context():
        dispatch_pending()
        (sent,) = read_sandbox(app.config["SANDBOX_OUTBOX_PATH"])
        assert link in sent["body"] and sent["to"] == "dee@example.com"
        assert db.session.scalar(select(Message.link_token)) is None


def test_a_set_up_link_expires_after_72_hours(app, admin_client, clock):
    path = setup_path(invite(admin_client, name="A B", email="ab@example.com", role="viewer")
                      .get_data(as_text=True))  # fmt: skip
    clock.advance(hours=72, seconds=1)
    response = app.test_client().get(path)
    assert response.status_code == 404
    assert "Ask your ParentLink administrator for a new one" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"name": "X", "email": "office@example.com", "role": "office"}, "already has an account"),
        ({"name": "X", "email": "not-an-email", "role": "office"}, "not a valid email address"),
        ({"name": "", "email": "x@example.com", "role": "office"}, "Give their name."),
        ({"name": "X", "email": "x@example.com", "role": "owner"}, "Not a valid choice"),
    ],
)
def test_a_bad_invitation_adds_nobody(app, admin_client, fields, message):
    response = invite(admin_client, **fields)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(StaffUser.id))) == 2


def test_roles_change_and_are_audited(app, admin_client):
    office = staff_id(app, "office@example.com")
    page = change(admin_client, office, "role", role="viewer")
    assert "Office Tester is now: viewer." in page
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "staff.role"))
        assert json.loads(event.detail) == {"old": "office", "new": "viewer"}


def test_the_last_administrator_cannot_demote_or_deactivate_themselves(app, admin_client):
    me = staff_id(app, "admin@example.com")
    page = change(admin_client, me, "role", role="office")
    assert "Not changed: Office Tester is the only administrator" in page
    page = change(admin_client, me, "deactivate")
    assert "is the only administrator" in page
    with app.app_context():
        user = db.session.get(StaffUser, me)
        assert user.role is Role.ADMIN and user.active
    # With a second administrator, stepping down is allowed.
    change(admin_client, staff_id(app, "office@example.com"), "role", role="admin")
    page = change(admin_client, me, "role", role="office")
    assert "Office Tester is now: office." in page and "<h1>Overview</h1>" in page


def test_a_deactivated_colleague_is_signed_out_and_cannot_sign_in(app, admin_client, clock):
    colleague = app.test_client()
    sign_in(colleague, "office@example.com", two_factor=False)
    assert colleague.get("/office/").status_code == 200
    clock.advance(seconds=1)
    page = change(admin_client, staff_id(app, "office@example.com"), "deactivate")
    assert "can no longer sign in" in page
    response = colleague.get("/office/")
    assert response.status_code == 302 and "/office/login" in response.headers["Location"]
    assert post_login(colleague, "office@example.com").status_code == 422
    change(admin_client, staff_id(app, "office@example.com"), "reactivate")
    assert post_login(colleague, "office@example.com").status_code == 303


def test_resetting_two_factor_ends_sessions_and_asks_to_enrol_again(app, admin_client, clock):
    with app.app_context():
        staff_with_two_factor(db.session.scalar(select(StaffUser.school_id)), "dsl@example.com",
                              "dsl")  # fmt: skip
        db.session.commit()
    dsl = app.test_client()
    sign_in(dsl, "dsl@example.com", two_factor=True)
    clock.advance(seconds=1)
    page = change(admin_client, staff_id(app, "dsl@example.com"), "reset-two-factor")
    assert "Two-factor sign-in reset for" in page
    assert dsl.get("/office/").status_code == 302
    response = post_login(dsl, "dsl@example.com")
    assert response.status_code == 303 and "/login/code" not in response.headers["Location"]
    assert "/office/two-factor" in dsl.get("/office/").headers["Location"]


def test_a_new_password_link_for_a_colleague(app, admin_client):
    page = change(admin_client, staff_id(app, "office@example.com"), "setup-link")
    path = setup_path(page)
    assert choose(app.test_client(), path, NEW_PASSWORD).status_code == 303
    assert post_login(app.test_client(), "office@example.com", NEW_PASSWORD).status_code == 303
    assert post_login(app.test_client(), "office@example.com", STAFF_PASSWORD).status_code == 422


def test_staff_of_another_school_cannot_be_touched(app, admin_client):
    from parentlink.schools.services import create_school

    with app.app_context():
        other = create_school(name="Other School", short_name="Other", slug="other")
        create_staff(other.id, email="them@example.com", name="Them", role="admin",
                     password=STAFF_PASSWORD, actor="test")  # fmt: skip
        db.session.commit()
    token = csrf_token(admin_client.get("/office/staff").get_data(as_text=True))
    response = admin_client.post(
        f"/office/staff/{staff_id(app, 'them@example.com')}?change=deactivate",
        data={"csrf_token": token},
    )
    assert response.status_code == 404
    assert "Them" not in admin_client.get("/office/staff").get_data(as_text=True)


def test_the_staff_list_is_paginated(app, admin_client):
    with app.app_context():
        school_id = db.session.scalar(select(StaffUser.school_id))
        for n in range(60):
            db.session.add(StaffUser(school_id=school_id, email=f"s{n}@example.com",
                                     name=f"Staff {n:02d}", password_hash="!"))  # fmt: skip
        db.session.commit()
    first = admin_client.get("/office/staff").get_data(as_text=True)
    second = admin_client.get("/office/staff?page=2").get_data(as_text=True)
    assert "<span data-total>62</span>" in first
    assert first.count("data-staff=") == 50 and second.count("data-staff=") == 12
    assert "Page 1 of 2" in first
