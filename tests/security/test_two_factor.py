"""Two-factor counted on the server: a replayed cookie, a slow half-sign-in, the same code
sent twice at once and a flood of codes from one address all fail, over real HTTP."""

from __future__ import annotations

import threading

from sqlalchemy import select

from parentlink.core.audit import AuditEvent
from parentlink.db import db
from tests.builders import school
from tests.office.sign_in import code_at, staff_with_two_factor
from tests.security.web import Browser

EMAIL = "dsl@example.com"


def _dsl(app) -> list[str]:
    with app.app_context():
        _, codes = staff_with_two_factor(school().id, EMAIL, "dsl")
        db.session.commit()
    return codes


def _current_code(app) -> str:
    with app.app_context():
        return code_at()


def _post_code(browser: Browser, token: str, code: str):
    return browser.post("/office/login/code", {"csrf_token": token, "code": code})


def _signed_in(response) -> bool:
    return response.status_code == 303 and "/office/login" not in response.headers["Location"]


def test_replaying_the_cookie_after_the_password_step_does_not_reset_the_count(live_app):
    _dsl(live_app)
    browser = Browser(live_app)
    assert "/office/login/code" in browser.login(EMAIL).headers["Location"]
    token = browser.form("/office/login/code")
    half_signed_in = browser.cookies()
    for _ in range(6):  # the attacker keeps the cookie from after the password step
        browser.use_cookies(half_signed_in)
        assert not _signed_in(_post_code(browser, token, "000000"))
    browser.use_cookies(half_signed_in)
    right = _post_code(browser, token, _current_code(live_app))
    assert not _signed_in(right)  # even the right code, now
    with live_app.app_context():
        actions = db.session.scalars(select(AuditEvent.action)).all()
    assert "staff.two_factor_locked" in actions


def test_the_half_signed_in_state_ends_after_five_minutes(live_app, clock):
    _dsl(live_app)
    browser = Browser(live_app)
    browser.login(EMAIL)
    token = browser.form("/office/login/code")
    clock.advance(minutes=6)
    response = _post_code(browser, token, _current_code(live_app))
    assert not _signed_in(response)
    assert browser.get("/office/").status_code == 302


def _at_once(live_app, cookies: dict, code: str, times: int = 4) -> list:
    barrier = threading.Barrier(times)
    results: list = [None] * times

    def send(n: int) -> None:
        browser = Browser(live_app)
        browser.use_cookies(cookies)
        token = browser.form("/office/login/code")
        barrier.wait()
        results[n] = browser.post("/office/login/code", {"csrf_token": token, "code": code})

    threads = [threading.Thread(target=send, args=(n,)) for n in range(times)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_one_totp_code_sent_in_parallel_signs_in_once(live_app):
    _dsl(live_app)
    browser = Browser(live_app)
    browser.login(EMAIL)
    results = _at_once(live_app, browser.cookies(), _current_code(live_app))
    assert sum(_signed_in(r) for r in results) == 1


def test_one_recovery_code_sent_in_parallel_signs_in_once(live_app):
    codes = _dsl(live_app)
    browser = Browser(live_app)
    browser.login(EMAIL)
    results = _at_once(live_app, browser.cookies(), codes[0])
    assert sum(_signed_in(r) for r in results) == 1


def test_the_code_step_is_limited_per_address(live_app):
    with live_app.app_context():
        school_id = school().id
        for n in range(6):
            staff_with_two_factor(school_id, f"dsl{n}@example.com", "dsl")
        db.session.commit()
    statuses = []
    for n in range(6):  # four wrong codes for each of six accounts, from one address
        browser = Browser(live_app)
        browser.login(f"dsl{n}@example.com")
        statuses += [browser.code("000000").status_code for _ in range(4)]
    assert statuses[-1] == 429
    assert 422 in statuses[:4]
