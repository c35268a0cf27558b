"""The session cookie (who is signed in, the CSRF secret) opens while the secret key is the
same, and stops opening when the key changes: parentlink/core/sessions.py keeps one
serializer per key."""

from __future__ import annotations

from parentlink.db import db
from tests.builders import school, staff
from tests.office.sign_in import sign_in


def test_a_signed_in_session_lasts_until_the_secret_key_changes(app, client):
    with app.app_context():
        staff(school().id, email="office@example.com", role="office")
        db.session.commit()
    sign_in(client, "office@example.com", two_factor=False)
    assert client.get("/office/").status_code == 200
    assert client.get("/office/").status_code == 200  # the cookie opens again and again
    app.config["SECRET_KEY"] = "another-secret-key-another-secret-key-42"
    signed_out = client.get("/office/")
    assert signed_out.status_code in (302, 303)
    assert "/office/login" in signed_out.headers["Location"]
