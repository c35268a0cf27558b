"""The demo's seed: Coates Lane with its families, a launched campaign, and the two logins
the demo prints (office, and an admin who sets up two-factor at the first sign-in)."""

from __future__ import annotations

from sqlalchemy import func, select

from parentlink.campaigns.models import Invitation
from parentlink.db import db
from parentlink.dev.demo import DEMO_ADMIN, DEMO_LOGIN, build_demo
from tests.office.sign_in import post_login

PASSWORD = "demo-password-1234"


def test_the_demo_seeds_a_campaign_and_both_printed_logins_work(app, client):
    counts = build_demo(app, password=PASSWORD)
    assert counts["pupils"] == 210 and counts["invitations"] > 0
    with app.app_context():
        assert (
            db.session.scalar(select(func.count()).select_from(Invitation))
            == (counts["invitations"])
        )

    response = post_login(client, DEMO_LOGIN, PASSWORD)
    assert response.status_code == 303 and response.headers["Location"].endswith("/office/")
    assert "Overview" in client.get("/office/").get_data(as_text=True)
    assert client.get("/office/settings").status_code == 403  # the office role

    client.post("/office/logout", data={})
    client.delete_cookie("session")
    assert post_login(client, DEMO_ADMIN, PASSWORD).status_code == 303
    response = client.get("/office/settings")  # not before two-factor is set up
    assert response.status_code in (302, 303) and "/office/two-factor" in response.location
    page = client.get("/office/two-factor").get_data(as_text=True)
    assert "authenticator" in page.lower()
