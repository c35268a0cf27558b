"""The parent page reached by a personal link."""

from __future__ import annotations

from sqlalchemy import func, select

from parentlink.campaigns.models import Confirmation, Invitation, InvitationStatus
from parentlink.db import db
from parentlink.messaging.models import Message
from tests.builders import csrf_token, family_row, launched


def _token_for(contact_mis_id: str) -> str:
    from parentlink.directory.models import Contact

    return db.session.scalar(
        select(Message.link_token)
        .join(Contact, Contact.id == Message.contact_id)
        .where(Contact.mis_id == contact_mis_id)
    )


def _setup(app):
    with app.app_context():
        launched(
            [
                family_row("P1", "C1", pupil_first_name="Amelia"),
                family_row("P2", "C1", pupil_first_name="Oscar"),
                family_row("P1", "C2", pupil_first_name="Amelia", relationship="Father"),
            ]
        )
        return _token_for("C1"), _token_for("C2")


def test_page_shows_school_children_and_only_parent_clauses(app, client):
    token, _ = _setup(app)
    response = client.get(f"/a/{token}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Coates Lane Primary School" in page
    assert "Amelia" in page and "Oscar" in page
    assert "Please follow the law online" in page  # a parents-carers clause summary
    assert "Staff should not accept friend requests" not in page  # a staff-only clause
    assert "<details>" in page
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["Cache-Control"] == "no-store"
    with app.app_context():
        invitation = db.session.scalar(select(Invitation).where(Invitation.opened_at.is_not(None)))
        assert invitation.status is InvitationStatus.OPENED


def test_confirming_records_the_evidence_and_shows_a_reference(app, client):
    token, _ = _setup(app)
    page = client.get(f"/a/{token}").get_data(as_text=True)
    response = client.post(
        f"/a/{token}",
        data={"csrf_token": csrf_token(page), "typed_name": "  Sarah   Example "},
        headers={"User-Agent": "OldPhone/1.0"},
        environ_base={"REMOTE_ADDR": "192.0.2.10"},
    )
    assert response.status_code == 303
    receipt = client.get(f"/a/{token}").get_data(as_text=True)
    assert "Thank you, you have confirmed" in receipt
    with app.app_context():
        confirmation = db.session.scalar(select(Confirmation))
        assert confirmation.typed_name == "Sarah Example"
        assert confirmation.ip_address == "192.0.2.10"
        assert confirmation.user_agent == "OldPhone/1.0"
        assert confirmation.version_sha256 == confirmation.invitation.campaign.version.sha256
        assert len(confirmation.version_sha256) == 64
        assert sorted(p.first_name for p in confirmation.pupils) == ["Amelia", "Oscar"]
        assert confirmation.reference in receipt


def test_a_double_submit_records_one_confirmation(app, client):
    token, _ = _setup(app)
    page = client.get(f"/a/{token}").get_data(as_text=True)
    form = {"csrf_token": csrf_token(page), "typed_name": "Sarah Example"}
    assert client.post(f"/a/{token}", data=form).status_code == 303
    assert client.post(f"/a/{token}", data=form).status_code in (200, 303)
    with app.app_context():
        assert db.session.scalar(select(func.count(Confirmation.id))) == 1


def test_missing_name_is_explained_and_changes_nothing(app, client):
    token, _ = _setup(app)
    page = client.get(f"/a/{token}").get_data(as_text=True)
    response = client.post(f"/a/{token}", data={"csrf_token": csrf_token(page), "typed_name": ""})
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "There is a problem" in body and "Please type your name to confirm." in body
    with app.app_context():
        assert db.session.scalar(select(func.count(Confirmation.id))) == 0


def test_a_post_without_csrf_token_is_refused(app, client):
    token, _ = _setup(app)
    response = client.post(f"/a/{token}", data={"typed_name": "Sarah Example"})
    assert response.status_code == 400
    with app.app_context():
        assert db.session.scalar(select(func.count(Confirmation.id))) == 0


def test_unknown_and_expired_links_get_the_same_page(app, client, clock):
    token, _ = _setup(app)
    unknown = client.get("/a/AAAAAAAAAAAAAAAAAAAAAA")
    short = client.get("/a/abc")
    assert unknown.status_code == short.status_code == 404
    clock.advance(days=21 + 14 + 1)  # after the close date and the grace period
    expired = client.get(f"/a/{token}")
    assert expired.status_code == 404
    assert expired.get_data() == unknown.get_data()
    assert "This link is not working" in expired.get_data(as_text=True)
    assert expired.headers["Cache-Control"] == "no-store"
