"""The safeguarding lead's pages: only role dsl sees anything, and every refusal is audited."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import func, select

from parentlink.concerns import services
from parentlink.concerns.models import (
    AppendOnly,
    Concern,
    ConcernCategory,
    ConcernEntry,
    ConcernStatus,
    ConcernView,
)
from parentlink.core.audit import AuditEvent
from parentlink.db import db
from parentlink.directory.models import Contact
from parentlink.messaging.models import Message, MessageKind
from parentlink.office.models import StaffUser
from tests.builders import csrf_token
from tests.concerns.family import login, picture, seed

SECRET = "Mean comments about Amelia ZEBRA-7"


@pytest.fixture
def app_config(tmp_path) -> dict:
    return {"UPLOAD_DIR": str(tmp_path / "uploads")}


def _staff(role: str) -> StaffUser:
    return db.session.scalar(select(StaffUser).where(StaffUser.email == f"{role}@example.com"))


def _reported(app) -> tuple[int, int, str]:
    """One concern with a screenshot; returns its id, its attachment id and its reference."""
    from parentlink.concerns.services import Report, report_concern
    from parentlink.concerns.uploads import clean_image

    seed(app)
    with app.app_context():
        contact = db.session.scalar(select(Contact).where(Contact.mis_id == "C1"))
        concern = report_concern(
            contact,
            Report(ConcernCategory.CYBERBULLYING, SECRET, "=HYPERLINK(evil)", None, None),
            [clean_image(io.BytesIO(picture()), "shot.png")],
        )
        db.session.commit()
        return concern.id, concern.attachments[0].id, concern.reference


def _routes(cid: int, aid: int) -> list[tuple[str, str]]:
    return [
        ("GET", "/office/concerns/"),
        ("GET", "/office/concerns/?status=closed"),
        ("GET", f"/office/concerns/{cid}"),
        ("GET", f"/office/concerns/{cid}/print"),
        ("GET", f"/office/concerns/{cid}/attachments/{aid}"),
        ("GET", "/office/concerns/export.csv"),
        ("POST", f"/office/concerns/{cid}/acknowledge"),
        ("POST", f"/office/concerns/{cid}/start"),
        ("POST", f"/office/concerns/{cid}/close"),
        ("POST", f"/office/concerns/{cid}/entries"),
        ("POST", f"/office/concerns/{cid}/triage"),
        ("POST", f"/office/concerns/{cid}/assign"),
    ]


@pytest.mark.parametrize("role", ["admin", "office", "viewer"])
def test_no_other_role_can_list_count_open_download_or_export(app, client, role):
    cid, aid, reference = _reported(app)
    login(client, role)
    token = csrf_token(client.get("/office/login").get_data(as_text=True))
    for method, url in _routes(cid, aid):
        data = {"csrf_token": token, "outcome": "x", "text": "x"} if method == "POST" else None
        response = client.open(url, method=method, data=data)
        body = response.get_data()
        assert response.status_code == 403, url
        for leak in (reference.encode(), b"ZEBRA-7", b"Amelia", b"\x89PNG", b"(1)"):
            assert leak not in body, (url, leak)
    with app.app_context():
        refused = db.session.scalars(
            select(AuditEvent.actor).where(AuditEvent.action == "staff.permission_refused")
        ).all()
        assert len(refused) == len(_routes(cid, aid))
        assert set(refused) == {f"staff:{_staff(role).id}"}
        concern = db.session.get(Concern, cid)
        assert concern.status is ConcernStatus.NEW  # nothing changed
        assert db.session.scalar(select(func.count()).select_from(ConcernView)) == 0


def test_signed_out_visitors_are_sent_to_sign_in_and_see_nothing(app, client):
    cid, aid, reference = _reported(app)
    for method, url in _routes(cid, aid):
        response = client.open(url, method=method)
        assert response.status_code in (302, 400), url  # a POST without CSRF is refused first
        assert reference.encode() not in response.get_data()


def test_the_dsl_acknowledges_adds_entries_triages_assigns_and_closes(app, client):
    cid, aid, reference = _reported(app)
    login(client, "dsl")
    inbox = client.get("/office/concerns/")
    page = inbox.get_data(as_text=True)
    assert inbox.status_code == 200 and reference in page
    assert 'data-status="new">(1)' in page
    record = client.get(f"/office/concerns/{cid}")
    page = record.get_data(as_text=True)
    assert SECRET in page and record.headers["Cache-Control"] == "no-store"
    token = csrf_token(page)

    def post(path: str, **data):
        return client.post(f"/office/concerns/{cid}/{path}", data={"csrf_token": token, **data})

    assert post("acknowledge").status_code == 303
    assert post("acknowledge").status_code == 303  # a double click changes nothing more
    assert post("entries", text="Spoke to Amelia's teacher.").status_code == 303
    with app.app_context():
        first_note = db.session.scalar(select(ConcernEntry.id).where(ConcernEntry.kind == "note"))
        pupil_id = db.session.get(Concern, cid).contact.links[0].pupil_id
        dsl_id = _staff("dsl").id
    assert post("entries", text="It was Thursday.", corrects=str(first_note)).status_code == 303
    assert post("entries", text="   ").status_code == 422
    assert (
        post(
            "triage", category="privacy-or-photo", urgency="urgent", pupil=str(pupil_id)
        ).status_code
        == 303
    )
    assert post("assign", assignee=str(dsl_id)).status_code == 303
    assert post("close", outcome="").status_code == 422
    assert post("close", outcome="Parents spoke; posts removed.").status_code == 303
    assert post("start").status_code == 409  # a status never goes backwards
    with app.app_context():
        concern = db.session.get(Concern, cid)
        assert concern.status is ConcernStatus.CLOSED
        assert concern.outcome == "Parents spoke; posts removed."
        assert concern.urgency.value == "urgent" and concern.assigned_to_id == dsl_id
        kinds = [e.kind.value for e in concern.entries]
        assert kinds == [
            "reported",
            "status",
            "note",
            "correction",
            "triage",
            "assignment",
            "status",
            "outcome",
        ]
        assert concern.entries[3].corrects_id == first_note
        views = db.session.scalars(select(ConcernView.what)).all()
        assert views == ["record"]  # the redirects after each action were not followed
    closed = client.get("/office/concerns/?status=closed").get_data(as_text=True)
    assert reference in closed


def test_chronology_entries_and_views_can_never_be_edited_or_deleted(app):
    cid, _, _ = _reported(app)
    with app.app_context():
        concern = db.session.get(Concern, cid)
        services.record_view(concern, _staff("dsl"), "record")
        db.session.commit()
        entry = concern.entries[0]
        entry.text = "rewritten"
        with pytest.raises(AppendOnly):
            db.session.flush()
        db.session.rollback()
        db.session.delete(db.session.get(ConcernEntry, entry.id))
        with pytest.raises(AppendOnly):
            db.session.flush()
        db.session.rollback()
        db.session.delete(db.session.scalar(select(ConcernView)))
        with pytest.raises(AppendOnly):
            db.session.flush()
        db.session.rollback()


def test_every_view_is_recorded_with_who_and_what(app, client):
    cid, aid, _ = _reported(app)
    login(client, "dsl")
    client.get(f"/office/concerns/{cid}")
    shot = client.get(f"/office/concerns/{cid}/attachments/{aid}")
    assert shot.status_code == 200 and shot.mimetype == "image/png"
    assert shot.get_data().startswith(b"\x89PNG")
    assert shot.headers["Cache-Control"] == "no-store"
    shot.close()
    printed = client.get(f"/office/concerns/{cid}/print").get_data(as_text=True)
    assert SECRET in printed and "Chronology" in printed
    assert "Confidential: safeguarding record" in printed
    page = client.get(f"/office/concerns/{cid}").get_data(as_text=True)
    assert "Who has looked at this concern" in page
    with app.app_context():
        rows = db.session.execute(select(ConcernView.what, ConcernView.staff_id)).all()
        dsl = _staff("dsl").id
        assert sorted(rows) == sorted(
            [("record", dsl), (f"attachment:{aid}", dsl), ("print", dsl), ("record", dsl)]
        )


def test_the_csv_has_every_concern_and_neutralises_formulas(app, client):
    cid, _, reference = _reported(app)
    login(client, "dsl")
    response = client.get("/office/concerns/export.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert [r["reference"] for r in rows] == [reference]
    assert rows[0]["platform"] == "'=HYPERLINK(evil)"
    assert rows[0]["description"] == SECRET
    with app.app_context():
        assert db.session.scalar(select(ConcernView.what)) == "export"
        assert (
            db.session.scalar(select(func.count()).where(AuditEvent.action == "concern.export"))
            == 1
        )


def test_a_dsl_of_another_school_cannot_open_it(app, client):
    cid, aid, _ = _reported(app)
    with app.app_context():
        from parentlink.schools.services import create_school
        from tests.office.sign_in import staff_with_two_factor

        other = create_school(name="Other School", short_name="Other", slug="other")
        staff_with_two_factor(other.id, "otherdsl@example.com", "dsl")
        db.session.commit()
    login(client, "otherdsl")
    assert client.get(f"/office/concerns/{cid}").status_code == 404
    assert client.get(f"/office/concerns/{cid}/attachments/{aid}").status_code == 404
    assert "(0)" in client.get("/office/concerns/").get_data(as_text=True)


def test_the_inbox_is_paginated(app, client):
    seed(app)
    with app.app_context():
        contact = db.session.scalar(select(Contact).where(Contact.mis_id == "C1"))
        for n in range(30):
            services.report_concern(
                contact,
                services.Report(ConcernCategory.OTHER, f"Worry {n}", None, None, None),
                [],
            )
        db.session.commit()
    login(client, "dsl")
    first = client.get("/office/concerns/").get_data(as_text=True)
    second = client.get("/office/concerns/?page=2").get_data(as_text=True)
    assert first.count("data-concern=") == 25 and second.count("data-concern=") == 5
    assert "Next page" in first and "Previous page" in second
    assert 'data-status="new">(30)' in first


def test_an_inbound_text_becomes_a_concern_linked_to_the_contact(app):
    seed(app)
    with app.app_context():
        contact = db.session.scalar(select(Contact).where(Contact.mis_id == "C1"))
        office = _staff("office")
        concern = services.create_concern_from_text(
            contact.id, "  Someone posted a photo  ", office
        )
        db.session.flush()
        assert concern.contact_id == contact.id and concern.source.value == "sms"
        assert concern.description == "Someone posted a photo"
        assert concern.entries[0].text.startswith("Made from a text message")
        ack = db.session.scalar(select(Message).where(Message.kind == MessageKind.CONCERN_ACK))
        assert "photo" not in ack.body
        with pytest.raises(services.ConcernError):
            services.create_concern_from_text(contact.id, "   ", office)
        with pytest.raises(services.ConcernError):
            services.create_concern_from_text(999999, "hello", office)
        db.session.rollback()


def test_a_screenshot_missing_from_disk_is_a_plain_404(app, client):
    from pathlib import Path

    from parentlink.concerns.models import ConcernAttachment

    cid, aid, _ = _reported(app)
    with app.app_context():
        stored = db.session.get(ConcernAttachment, aid).stored_name
    (Path(app.config["UPLOAD_DIR"]) / stored).unlink()
    login(client, "dsl")
    assert client.get(f"/office/concerns/{cid}/attachments/{aid}").status_code == 404
