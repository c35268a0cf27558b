"""Sessions owned by the server, over real HTTP: a cookie copied before logout, a new
password or a role change opens nothing afterwards; a session has an absolute lifetime;
changes to two-factor and to staff need the password again; office pages are never cached."""

from __future__ import annotations

import re

from sqlalchemy import select

from parentlink.db import db
from parentlink.office.models import Role, StaffUser
from parentlink.office.routes import PAGES
from parentlink.office.staff_admin import new_setup_link
from tests.builders import school, staff
from tests.office.sign_in import code_at, staff_with_two_factor
from tests.security.web import Browser

NEW_PASSWORD = "a brand new passphrase 42"  # noqa: S105


def _people(app) -> None:
    with app.app_context():
        school_id = school().id
        staff(school_id, email="office@example.com", role="office")
        staff_with_two_factor(school_id, "admin@example.com", "admin")
        db.session.commit()


def _admin(app) -> Browser:
    browser = Browser(app)
    browser.login("admin@example.com")
    with app.app_context():
        code = code_at()
    assert browser.code(code).status_code == 303
    return browser


def _office(app) -> Browser:
    browser = Browser(app)
    assert browser.login("office@example.com").status_code == 303
    assert browser.get("/office/").status_code == 200
    return browser


def _copy(app, browser: Browser) -> Browser:
    thief = Browser(app)
    thief.use_cookies(browser.cookies())
    return thief


def _user(email: str) -> StaffUser:
    return db.session.scalar(select(StaffUser).where(StaffUser.email == email))


def test_a_cookie_copied_before_logout_opens_nothing_after_it(live_app):
    _people(live_app)
    browser = _office(live_app)
    thief = _copy(live_app, browser)
    assert thief.get("/office/").status_code == 200
    token = browser.form("/office/account")
    assert browser.post("/office/logout", {"csrf_token": token}).status_code == 303
    assert thief.get("/office/").status_code == 302


def test_a_session_ends_twelve_hours_after_sign_in_however_active(live_app, clock):
    _people(live_app)
    browser = _office(live_app)
    signed_in_for = 0
    while browser.get("/office/").status_code == 200 and signed_in_for < 24 * 60:
        clock.advance(minutes=29)  # a request every 29 minutes: never idle
        signed_in_for += 29
    assert 12 * 60 < signed_in_for <= 12 * 60 + 29  # ended at the first request after 12 h
    assert "12 hours after signing in" in browser.get("/office/login").text


def test_a_password_set_by_link_ends_the_sessions_already_open(live_app):
    _people(live_app)
    browser = _office(live_app)
    with live_app.app_context():
        admin = _user("admin@example.com")
        link = new_setup_link(_user("office@example.com"), admin=admin)
        db.session.commit()
    path = link.removeprefix("http://parentlink.test").removeprefix(live_app.config["PUBLIC_URL"])
    owner = Browser(live_app)
    done = owner.submit(path, {"password": NEW_PASSWORD, "repeated": NEW_PASSWORD})
    assert done.status_code == 303
    assert browser.get("/office/").status_code == 302


def test_a_role_change_ends_that_colleagues_sessions(live_app):
    _people(live_app)
    browser = _office(live_app)
    admin = _admin(live_app)
    with live_app.app_context():
        colleague = _user("office@example.com").id
    changed = admin.post(
        f"/office/staff/{colleague}?change=role",
        {"csrf_token": admin.form("/office/staff"), "role": "viewer"},
    )
    assert changed.status_code == 303
    with live_app.app_context():
        assert _user("office@example.com").role is Role.VIEWER
    assert browser.get("/office/").status_code == 302


def test_re_enrolling_two_factor_needs_the_password_and_a_code_again(live_app, clock):
    _people(live_app)
    admin = _admin(live_app)
    clock.advance(minutes=10)  # signed in a while ago; someone else sits at the desk
    page = admin.get("/office/two-factor")
    assert page.status_code == 303 and "/office/confirm" in page.headers["Location"]
    refused = admin.submit("/office/confirm", {"password": "not my password!", "code": ""})
    assert refused.status_code == 422
    with live_app.app_context():
        code = code_at()
    confirmed = admin.submit(
        "/office/confirm?next=/office/two-factor",
        {"password": "correct horse battery staple", "code": code},
    )
    assert confirmed.status_code == 303
    assert admin.get("/office/two-factor").status_code == 200


def test_managing_staff_needs_the_password_again(live_app, clock):
    _people(live_app)
    admin = _admin(live_app)
    clock.advance(minutes=10)
    with live_app.app_context():
        colleague = _user("office@example.com").id
    response = admin.post(
        f"/office/staff/{colleague}?change=deactivate",
        {"csrf_token": admin.form("/office/staff")},
    )
    assert response.status_code == 303 and "/office/confirm" in response.headers["Location"]
    with live_app.app_context():
        assert _user("office@example.com").active


def test_no_office_page_is_kept_in_a_cache(live_app):
    _people(live_app)
    admin = _admin(live_app)
    pages = ["/office/login", "/office/login/code", "/office/two-factor"]
    pages += [
        f"/office{url}" for url, _, _, methods, _ in PAGES if "GET" in methods and "<" not in url
    ]
    for url in pages:
        response = admin.get(url)
        assert response.headers.get("Cache-Control") == "no-store", url
    signed_out = Browser(live_app).get("/office/families")
    assert re.fullmatch("no-store", signed_out.headers.get("Cache-Control", ""))


def test_changing_ones_password_needs_the_old_one_and_ends_the_other_sessions(live_app):
    _people(live_app)
    desk = _office(live_app)
    phone = _office(live_app)
    wrong = desk.post(
        "/office/account/password",
        {
            "csrf_token": desk.form("/office/account"),
            "current": "not my password!",
            "password": NEW_PASSWORD,
            "repeated": NEW_PASSWORD,
        },
    )
    assert wrong.status_code == 303 and phone.get("/office/").status_code == 200
    changed = desk.post(
        "/office/account/password",
        {
            "csrf_token": desk.form("/office/account"),
            "current": "correct horse battery staple",
            "password": NEW_PASSWORD,
            "repeated": NEW_PASSWORD,
        },
    )
    assert changed.status_code == 303
    assert "Your password is changed" in desk.get("/office/account").text
    assert phone.get("/office/").status_code == 302
    assert Browser(live_app).login("office@example.com", NEW_PASSWORD).status_code == 303
