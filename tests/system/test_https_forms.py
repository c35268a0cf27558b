"""Every form a parent or a new colleague posts works over real TLS in Chromium, while a
post from another origin, or without the CSRF token, is still refused."""

from __future__ import annotations

import re
import threading

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from parentlink.db import db
from parentlink.office.models import StaffUser
from parentlink.office.staff_admin import invite_staff
from parentlink.schools.models import School
from tests.builders import csrf_token
from tests.concerns.family import picture, seed
from tests.system import steps
from tests.system.tls import issue

pytestmark = pytest.mark.browser


@pytest.fixture
def https_app(app, tmp_path):
    """The app over HTTPS on a free port, with a certificate from the test authority."""
    cert, key, _ca = issue(tmp_path)
    server = make_server("127.0.0.1", 0, app, threaded=True, ssl_context=(str(cert), str(key)))
    app.config["PUBLIC_URL"] = f"https://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield app
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture
def tls_page(browser):
    context = browser.new_context(ignore_https_errors=True, viewport={"width": 360, "height": 740})
    yield context.new_page()
    context.close()


def _setup_link(app) -> str:
    with app.app_context():
        school = db.session.scalar(select(School))
        admin = db.session.scalar(select(StaffUser).where(StaffUser.email == "admin@example.com"))
        _, link = invite_staff(
            school,
            email="new.colleague@example.com",
            name="New Colleague",
            role="office",
            admin=admin,
        )
        db.session.commit()
        return link


def test_a_parent_and_a_new_colleague_post_every_form_over_https(https_app, tls_page, tmp_path):
    base = https_app.config["PUBLIC_URL"]
    token = seed(https_app)
    link = f"{base}/a/{token}"
    page = tls_page

    response = page.goto(link)
    assert response.headers["referrer-policy"] == "same-origin"
    assert response.headers["cache-control"] == "no-store"
    reference = steps.confirm(page, link, "Sarah Example")
    assert re.fullmatch(r"PL-[A-Z2-9]{6}", reference)
    steps.withdraw(page, "I want to talk to the class teacher first.")
    screenshot = tmp_path / "post.png"
    screenshot.write_bytes(picture())
    steps.report_concern(
        page, link, "Amelia", "A group chat keeps posting about Amelia.", screenshot
    )
    page.goto(link)
    steps.switch_language(page, "Polski", "pl")
    steps.ask_for_a_new_link(page, base, "07700 900001")

    steps.accept_invitation(page, _setup_link(https_app), "four unrelated words here")
    steps.sign_in(page, base, "new.colleague@example.com", "four unrelated words here")


def test_over_https_a_post_from_another_site_is_refused(https_app, tls_page):
    """The token alone is not enough: the Referer must be our own origin (Flask-WTF's
    strict check), so a page elsewhere that got hold of a token still cannot post."""
    base = https_app.config["PUBLIC_URL"]
    link = f"{base}/a/{seed(https_app)}"
    page = tls_page
    page.goto(link)
    token = csrf_token(page.content())
    api = page.context.request
    forged = api.post(
        f"{link}/language",
        form={"csrf_token": token, "lang": "pl"},
        headers={"Referer": "https://evil.example.com/", "Origin": "https://evil.example.com"},
        max_redirects=0,
    )
    assert forged.status == 400 and "This form has expired" in forged.text()
    ours = api.post(
        f"{link}/language",
        form={"csrf_token": token, "lang": "pl"},
        headers={"Referer": link, "Origin": base},
        max_redirects=0,
    )
    assert ours.status == 303
    no_token = api.post(
        f"{link}/language", form={"lang": "en"}, headers={"Referer": link}, max_redirects=0
    )
    assert no_token.status == 400
