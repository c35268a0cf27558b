"""A parent's pages set the session cookie once (it holds the CSRF secret) and never touch
staff sign-in cookies: Flask-Login's "strong" session protection used to run on every parent
page rendered in full, re-signing the session and clearing a remember cookie each time."""

from __future__ import annotations

from tests.builders import csrf_token, family_row, launched
from tests.parents.family import token_for


def test_only_the_first_page_sets_a_cookie(app, client):
    with app.app_context():
        launched([family_row("P1", "C1", pupil_first_name="Amelia")])
        token = token_for("C1")
    first = client.get(f"/a/{token}")
    [cookie] = first.headers.getlist("Set-Cookie")
    assert cookie.startswith("session=")
    later = {
        "agreement again": client.get(f"/a/{token}"),
        "errors": client.post(f"/a/{token}", data={"csrf_token": csrf_token(first.text)}),
        "concern form": client.get(f"/a/{token}/concern"),
        "confirmed": client.post(
            f"/a/{token}", data={"csrf_token": csrf_token(first.text), "typed_name": "Sam Ex"}
        ),
        "receipt": client.get(f"/a/{token}"),
    }
    for page, response in later.items():
        assert response.status_code in (200, 303, 422), page
        assert response.headers.getlist("Set-Cookie") == [], page
    assert "Thank you" in later["receipt"].text
