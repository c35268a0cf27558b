"""Links that age well: one page for every link that does not work, and "send me a new link"
that only ever sends to the details on file and answers the same whether or not they match."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from parentlink.campaigns.models import Invitation
from parentlink.db import db
from parentlink.messaging.models import Message, MessageKind
from tests.builders import csrf_token
from tests.parents.family import separated_parents, token_for


def _without_csrf(body: bytes) -> bytes:
    return re.sub(rb'name="csrf_token" type="hidden" value="[^"]+"', b"", body)


def _new_link_count() -> int:
    return db.session.scalar(
        select(func.count(Message.id)).where(Message.kind == MessageKind.NEW_LINK)
    )


def test_unknown_expired_and_revoked_links_get_the_same_page(app, client, clock):
    token, other = separated_parents(app)
    unknown = client.get("/a/AAAAAAAAAAAAAAAAAAAAAA")
    short = client.get("/a/abc")
    assert unknown.status_code == short.status_code == 404
    with app.app_context():
        invitation = db.session.scalars(select(Invitation).order_by(Invitation.id)).all()[1]
        invitation.revoke(clock.now())
        db.session.commit()
    revoked = client.get(f"/a/{other}")
    clock.advance(days=21 + 14)  # the close date plus the grace period: still works
    assert client.get(f"/a/{token}").status_code == 200
    clock.advance(days=1)
    expired = client.get(f"/a/{token}")
    assert expired.status_code == revoked.status_code == 404
    assert _without_csrf(expired.get_data()) == _without_csrf(unknown.get_data())
    assert _without_csrf(revoked.get_data()) == _without_csrf(unknown.get_data())
    page = expired.get_data(as_text=True)
    assert "This link is not working" in page and "Send me a new link" in page
    assert 'href="?lang=pl"' in page and 'href="?lang=ur"' in page
    polish = client.get(f"/a/{token}?lang=pl")
    assert polish.status_code == 404 and "Ten link nie działa" in polish.get_data(as_text=True)
    assert expired.headers["Cache-Control"] == "no-store"
    assert expired.headers["Referrer-Policy"] == "same-origin"


def test_a_new_link_goes_to_the_details_on_file_and_the_old_one_stops(app, client):
    old, _ = separated_parents(app)
    page = client.get("/a/AAAAAAAAAAAAAAAAAAAAAA").get_data(as_text=True)
    response = client.post(
        "/link/new", data={"csrf_token": csrf_token(page), "address": "07700 900001"}
    )
    assert response.status_code == 200
    assert "If those details match what the school has on file" in response.get_data(as_text=True)
    with app.app_context():
        message = db.session.scalar(select(Message).where(Message.kind == MessageKind.NEW_LINK))
        assert message.to_address == "+447700900001"  # C1's mobile on file
        new = token_for("C1", MessageKind.NEW_LINK)
    assert new and new != old
    assert client.get(f"/a/{old}").status_code == 404
    assert client.get(f"/a/{new}").status_code == 200


def test_the_answer_is_the_same_whether_or_not_the_details_match(app, client):
    separated_parents(app)
    page = client.get("/link/new").get_data(as_text=True)
    answers = []
    for address in ("carer1@example.com", "nobody@example.com", "07700 900999", "not an address"):
        response = client.post(
            "/link/new", data={"csrf_token": csrf_token(page), "address": address}
        )
        answers.append((response.status_code, _without_csrf(response.get_data())))
    assert len(set(answers)) == 1
    with app.app_context():
        message = db.session.scalar(select(Message).where(Message.kind == MessageKind.NEW_LINK))
        assert message.to_address == "carer1@example.com" and _new_link_count() == 1


def test_an_empty_request_is_explained(app, client):
    page = client.get("/link/new").get_data(as_text=True)
    response = client.post("/link/new", data={"csrf_token": csrf_token(page), "address": ""})
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "There is a problem" in body and 'href="#address"' in body


def test_new_links_are_limited_per_contact_and_per_ip(app, client):
    separated_parents(app)
    page = client.get("/link/new").get_data(as_text=True)

    def ask(address: str, ip: str):
        return client.post(
            "/link/new",
            data={"csrf_token": csrf_token(page), "address": address},
            environ_base={"REMOTE_ADDR": ip},
        )

    for n in range(5):  # from five different connections
        assert ask("carer1@example.com", f"192.0.2.{n}").status_code == 200
    with app.app_context():
        assert _new_link_count() == 3  # three a day for one contact, however asked
    for _ in range(5):
        ask("nobody@example.com", "198.51.100.7")
    refused = ask("carer2@example.com", "198.51.100.7")
    assert refused.status_code == 429
    assert "Please wait a little" in refused.get_data(as_text=True)
    with app.app_context():
        assert _new_link_count() == 3  # the refused request sent nothing
