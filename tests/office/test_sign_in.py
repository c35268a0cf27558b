"""Staff sign-in: lockout, rate limiting, two-factor with recovery codes, idle timeout."""

from __future__ import annotations

from sqlalchemy import select

from parentlink.core.audit import AuditEvent
from parentlink.db import db
from parentlink.office.models import RecoveryCode, StaffUser
from tests.builders import csrf_token, school, staff
from tests.office.sign_in import SECRET, code_at, post_code, post_login, staff_with_two_factor


def _actions(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def _school(app, *, role="office", two_factor=False):
    with app.app_context():
        school_id = school().id
        if two_factor:
            _, codes = staff_with_two_factor(school_id, "staff@example.com", role)
        else:
            codes = None
            staff(school_id, email="staff@example.com", role=role)
        db.session.commit()
    return codes


def test_wrong_passwords_slow_down_then_lock_that_address_for_a_while(app, client, clock):
    _school(app)
    for _ in range(2):
        assert post_login(client, "staff@example.com", "wrong password!!").status_code == 422
    too_soon = post_login(client, "staff@example.com", "wrong password!!")
    assert "wait a few seconds" in too_soon.get_data(as_text=True)
    for _ in range(3):
        clock.advance(seconds=20)
        assert post_login(client, "staff@example.com", "wrong password!!").status_code == 422
    locked = post_login(client, "staff@example.com")  # the right password, but locked here
    assert locked.status_code == 422
    assert "locked here for 15 minutes" in locked.get_data(as_text=True)
    assert client.get("/office/").status_code == 302
    clock.advance(minutes=16)
    assert post_login(client, "staff@example.com").status_code == 303
    actions = _actions(app)
    assert actions.count("staff.login_failed") == 5
    assert "staff.locked_out" in actions and "staff.login_throttled" in actions
    assert actions[-1] == "staff.login"


def test_many_failures_from_one_address_are_slowed_down(app, client, clock):
    _school(app)
    for n in range(20):
        post_login(client, f"nobody{n}@example.com", "guess guess guess")
    refused = post_login(client, "staff@example.com")
    assert refused.status_code == 422
    assert "Too many attempts from this computer" in refused.get_data(as_text=True)
    assert "staff.login_rate_limited" in _actions(app)
    clock.advance(minutes=11)
    assert post_login(client, "staff@example.com").status_code == 303


def test_an_admin_must_set_up_two_factor_before_seeing_anything(app, client):
    _school(app, role="admin")
    response = post_login(client, "staff@example.com")
    assert response.status_code == 303
    page = client.get("/office/")
    assert page.status_code == 302 and "/office/two-factor" in page.headers["Location"]
    setup = client.get("/office/two-factor").get_data(as_text=True)
    assert "data:image/svg+xml" in setup  # the QR code, no third party
    secret = setup.split("data-secret>")[1].split("<")[0]
    wrong = client.post(
        "/office/two-factor", data={"csrf_token": csrf_token(setup), "code": "000000"}
    )
    assert wrong.status_code == 422
    with app.app_context():
        code = code_at(secret)
    done = client.post("/office/two-factor", data={"csrf_token": csrf_token(setup), "code": code})
    body = done.get_data(as_text=True)
    assert done.status_code == 200 and body.count("<code>") == 10
    assert client.get("/office/").status_code == 200
    with app.app_context():
        user = db.session.scalar(select(StaffUser))
        assert user.two_factor_enabled and user.totp_secret == secret
        stored = db.session.scalars(select(RecoveryCode.code_hash)).all()
        shown = body.split("<code>")[1].split("</code>")[0]
        assert len(stored) == 10 and shown not in stored and shown.replace("-", "") not in stored


def test_two_factor_sign_in_needs_the_code_and_each_code_works_once(app, client):
    _school(app, role="dsl", two_factor=True)
    assert post_login(client, "staff@example.com").status_code == 303
    assert client.get("/office/").status_code == 302  # not in yet
    assert post_code(client, "123456").status_code == 422
    with app.app_context():
        code = code_at(SECRET)
    assert post_code(client, code).status_code == 303
    assert client.get("/office/").status_code == 200
    page = client.get("/office/").get_data(as_text=True)
    client.post("/office/logout", data={"csrf_token": csrf_token(page)})
    post_login(client, "staff@example.com")
    assert post_code(client, code).status_code == 422  # replayed
    assert "staff.two_factor_failed" in _actions(app)


def test_a_recovery_code_signs_in_once(app, client):
    codes = _school(app, role="admin", two_factor=True)
    post_login(client, "staff@example.com")
    assert post_code(client, codes[0].lower()).status_code == 303
    page = client.get("/office/").get_data(as_text=True)
    client.post("/office/logout", data={"csrf_token": csrf_token(page)})
    post_login(client, "staff@example.com")
    assert post_code(client, codes[0]).status_code == 422
    assert "staff.recovery_code_used" in _actions(app)


def test_an_idle_session_ends(app, client, clock):
    _school(app)
    post_login(client, "staff@example.com")
    clock.advance(minutes=29)
    assert client.get("/office/").status_code == 200
    clock.advance(minutes=29)  # active 29 minutes ago: still fine
    assert client.get("/office/").status_code == 200
    clock.advance(minutes=31)
    response = client.get("/office/")
    assert response.status_code == 302 and "/office/login" in response.headers["Location"]
    assert "signed out after 30 minutes" in client.get("/office/login").get_data(as_text=True)
    assert client.get("/office/").status_code == 302
    assert "staff.session_expired" in _actions(app)
