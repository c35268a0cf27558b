"""Lockout that cannot lock out the school, over real HTTP from several addresses (the app
behind one proxy hop reads X-Forwarded-For, as in production behind nginx)."""

from __future__ import annotations

import re

import argon2._password_hasher as argon2_hasher
import pytest
from sqlalchemy import select

from parentlink.core.audit import AuditEvent
from parentlink.db import db
from parentlink.office.models import Role, StaffUser
from parentlink.office.staff_admin import NO_PASSWORD
from tests.builders import school, staff
from tests.office.sign_in import code_at, staff_with_two_factor
from tests.security.web import Browser

ATTACKER = "203.0.113.9"
SCHOOL_OFFICE = "198.51.100.7"
RIGHT = "correct horse battery staple"  # noqa: S105 - tests.builders.STAFF_PASSWORD


@pytest.fixture
def app_config() -> dict:
    return {"PROXY_FIX_HOPS": 1}


def _accounts(app) -> None:
    with app.app_context():
        school_id = school().id
        staff(school_id, email="office@example.com", role="office")
        staff_with_two_factor(school_id, "admin@example.com", "admin")
        gone = staff(school_id, email="left@example.com", role="office")
        gone.active = False
        invited = staff(school_id, email="invited@example.com", role="office")
        invited.password_hash = NO_PASSWORD
        db.session.commit()


def _guess(browser: Browser, email: str, clock):
    clock.advance(seconds=20)  # past any growing delay
    return browser.login(email, "a wrong guess!!")


def _answer(response) -> tuple[int, str]:
    found = re.search(r'role="alert"><h2>There is a problem</h2><p>(.*?)</p>', response.text)
    return response.status_code, found.group(1) if found else response.text


def _actions(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def test_wrong_passwords_from_elsewhere_cannot_lock_a_colleague_out(live_app, clock):
    _accounts(live_app)
    attacker = Browser(live_app, ATTACKER)
    for _ in range(12):
        _guess(attacker, "office@example.com", clock)
    colleague = Browser(live_app, SCHOOL_OFFICE)
    response = colleague.login("office@example.com", RIGHT)
    assert response.status_code == 303


def test_the_attackers_address_is_locked_and_an_admin_can_unlock(live_app, clock):
    _accounts(live_app)
    attacker = Browser(live_app, ATTACKER)
    for _ in range(5):
        _guess(attacker, "office@example.com", clock)
    right = attacker.login("office@example.com", RIGHT)
    assert right.status_code == 422 and "locked" in right.text
    assert "staff.locked_out" in _actions(live_app)
    admin = Browser(live_app, SCHOOL_OFFICE)
    admin.login("admin@example.com", RIGHT)
    with live_app.app_context():
        code = code_at()
        office = db.session.scalar(select(StaffUser).where(StaffUser.role == Role.OFFICE))
    admin.submit("/office/login/code", {"code": code})
    staff_page = admin.get("/office/staff")
    assert "locked after wrong passwords" in staff_page.text
    unlocked = admin.post(
        f"/office/staff/{office.id}?change=unlock", {"csrf_token": admin.form("/office/staff")}
    )
    assert unlocked.status_code == 303
    assert "staff.unlocked" in _actions(live_app)
    again = attacker.login("office@example.com", RIGHT)
    assert again.status_code == 303


def test_every_kind_of_account_answers_alike(live_app, clock):
    _accounts(live_app)
    emails = ["nobody@example.com", "left@example.com", "invited@example.com", "office@example.com"]
    answers = {}
    for n, email in enumerate(emails):
        browser = Browser(live_app, f"203.0.113.{n + 20}")
        answers[email] = [_answer(_guess(browser, email, clock)) for _ in range(7)]
    first = answers[emails[0]]
    assert {email: answers[email] for email in emails} == dict.fromkeys(emails, first)


def test_every_kind_of_account_spends_one_password_hash(live_app, clock, monkeypatch):
    """Counted, not timed: each answer verifies exactly one argon2 hash, so each takes the
    same time (unknown, deactivated, invited, locked and real accounts alike)."""
    _accounts(live_app)
    hashed = []
    real = argon2_hasher.verify_secret
    monkeypatch.setattr(
        argon2_hasher, "verify_secret", lambda *a, **k: hashed.append(1) or real(*a, **k)
    )
    browser = Browser(live_app)
    for _ in range(6):  # the last ones answer "locked"
        _guess(browser, "office@example.com", clock)
    for email in ["nobody@example.com", "left@example.com", "invited@example.com"]:
        token = browser.form("/office/login")
        hashed.clear()
        browser.post(
            "/office/login", {"csrf_token": token, "email": email, "password": "a wrong guess!!"}
        )
        assert len(hashed) == 1, email
    token = browser.form("/office/login")
    hashed.clear()
    browser.post(
        "/office/login",
        {"csrf_token": token, "email": "office@example.com", "password": "a wrong guess!!"},
    )  # locked from here
    assert len(hashed) == 1
