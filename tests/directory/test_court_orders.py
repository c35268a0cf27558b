# ruff: noqa: E501 - rows of CSV are clearer on one line each
"""A carer under a court order, or without parental responsibility, is never contacted about
the child: not at launch, not by the chase, not by "send me a new link", not by a message
queued before the order was recorded. Driven end to end: the office's upload of a SIMS
export, a launch, the jobs (chase and dispatch, through the sandbox gateway), the parent's
pages, and the DSL's control on the family page."""

from __future__ import annotations

import io
import json
import re

import pytest
from sqlalchemy import select, update

from jobs import runner
from parentlink.campaigns.models import Invitation, InvitationStatus
from parentlink.campaigns.services import launch_campaign
from parentlink.core.audit import AuditEvent
from parentlink.core.clock import now
from parentlink.db import db
from parentlink.directory.models import Contact, Pupil, PupilContact
from parentlink.messaging.models import Message, MessageKind, MessageStatus
from parentlink.schools.models import School
from parentlink.schools.terms import seed_standard_english_year
from tests.builders import csrf_token, published_policy, school, staff
from tests.office.sign_in import sign_in, staff_with_two_factor

# A SIMS "Student Contacts" report as it comes out: no contact id, "Reg" for the class,
# a Court Order column, several telephone columns with the mobile not first.
SIMS = (
    "Adno,Legal Forename,Legal Surname,Year,Reg,Contact Title,Contact Forename,Contact Surname,Relationship,Priority,Parental Responsibility,Court Order,Home Telephone,Mobile Telephone,Email Address\r\n"
    "1001,Amelia,Patel,Year 3,3K,Mrs,Priya,Patel,Mother,1,Yes,No,0161 496 0001,07700 900001,priya@example.com\r\n"
    "1001,Amelia,Patel,Year 3,3K,Mr,Raj,Patel,Father,2,Yes,Yes,,07700 900002,raj@example.com\r\n"
    "1001,Amelia,Patel,Year 3,3K,Mr,Tom,Hughes,Step-father,3,No,No,,07700 900003,\r\n"
    "1002,Noah,Evans,Year 5,5B,Ms,Jo,Evans,Mother,1,Yes,,,07700 900005,\r\n"
    "1003,Isla,Patel,Year 1,1A,Mrs,Priya,Patel,Mother,1,Yes,No,0161 496 0001,07700 900001,priya@example.com\r\n"
)


def _upload(client, data: bytes, name: str):
    page = client.get("/office/import").get_data(as_text=True)
    response = client.post(
        "/office/import",
        data={"csrf_token": csrf_token(page), "file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )
    assert response.status_code == 303, response.get_data(as_text=True)
    location = response.headers["Location"]
    assert location.endswith("/preview"), "the SIMS columns were not recognised"
    preview = client.get(location)
    page = preview.get_data(as_text=True)
    assert preview.status_code == 200, page
    return location, page


def _commit(client, location: str, page: str, **extra):
    response = client.post(
        location.replace("/preview", "/commit"), data={"csrf_token": csrf_token(page), **extra}
    )
    assert response.status_code == 303
    return response


def _sent_to(app) -> list[str]:
    path = app.config["SANDBOX_OUTBOX_PATH"]
    try:
        with open(path, encoding="utf-8") as handle:
            return [json.loads(line)["to"] for line in handle if line.strip()]
    except FileNotFoundError:
        return []


def _token(mobile: str, kind: MessageKind = MessageKind.INVITE) -> str | None:
    return db.session.scalar(
        select(Message.link_token)
        .join(Contact, Contact.id == Message.contact_id)
        .where(Contact.mobile == mobile, Message.kind == kind)
        .order_by(Message.id.desc())
    )


@pytest.fixture
def office(app, client, clock):
    with app.app_context():
        the_school = school()
        seed_standard_english_year(the_school.id, 2026)
        published_policy(the_school.id)
        staff(the_school.id)
        staff_with_two_factor(the_school.id, "dsl@example.com", "dsl")
        db.session.commit()
    sign_in(client, "office@example.com", two_factor=False)
    return client


def _launch(app):
    with app.app_context():
        the_school = db.session.scalar(select(School))
        from parentlink.agreements.services import current_version

        summary = launch_campaign(
            the_school,
            current_version(the_school.id),
            name="Autumn",
            closes_at=now().replace(year=now().year + 1),
            actor="test",
        )
        db.session.commit()
        return summary.invitations


def test_the_court_order_column_and_no_pr_keep_carers_out_from_launch_to_chase(app, office, clock):
    location, page = _upload(office, SIMS.encode("cp1252"), "StudentContacts.csv")
    assert "Who is who" in page and "Priya Patel" in page  # one carer for Amelia and Isla
    _commit(office, location, page)
    with app.app_context():
        raj = db.session.scalar(
            select(PupilContact).join(Contact).where(Contact.first_name == "Raj")
        )
        assert raj.court_order_restriction is True and raj.parental_responsibility is True
        priya = db.session.scalar(select(Contact).where(Contact.first_name == "Priya"))
        assert priya.mobile == "+447700900001"  # the mobile column, not the landline before it
        assert len(priya.links) == 2 and priya.mis_id.startswith("derived-")

    assert _launch(app) == 2  # Priya (Amelia and Isla) and Jo; never Raj, never Tom
    runner.bind(app)
    runner.run_job("dispatch")
    for _day in range(1, 15):  # two weeks of chasing, every school hour
        clock.advance(days=1)
        for _ in range(3):
            runner.run_job("chase")
            runner.run_job("dispatch")
            clock.advance(hours=3)
        clock.advance(hours=-9)
    sent = _sent_to(app)
    assert "+447700900001" in sent and "+447700900005" in sent
    assert sent.count("+447700900001") > 1  # the chase did run
    assert "+447700900002" not in sent and "raj@example.com" not in sent
    assert "+447700900003" not in sent


def test_a_court_order_recorded_on_the_family_page_stops_everything_at_once(app, office, client):
    location, page = _upload(office, SIMS.encode("utf-8"), "contacts.csv")
    _commit(office, location, page)
    _launch(app)
    with app.app_context():
        jo_token = _token("+447700900005")
        noah = db.session.scalar(select(Pupil).where(Pupil.first_name == "Noah"))
        jo_link = noah.links[0]
        ids = (noah.id, jo_link.id)
    assert client.get(f"/a/{jo_token}").status_code == 200

    # The office may see the family but not record a court order.
    family = client.get(f"/office/families/{ids[0]}").get_data(as_text=True)
    assert "Record a court-order restriction" not in family
    refused = client.post(
        f"/office/families/{ids[0]}/carers/{ids[1]}/court-order",
        data={"csrf_token": csrf_token(family), "action": "set", "reason": "order"},
    )
    assert refused.status_code == 403

    client.post("/office/logout", data={"csrf_token": csrf_token(family)})
    dsl = app.test_client()
    sign_in(dsl, "dsl@example.com", two_factor=True)
    family = dsl.get(f"/office/families/{ids[0]}").get_data(as_text=True)
    assert "Record a court-order restriction" in family
    assert 'data-status="restricted"' not in family
    url = f"/office/families/{ids[0]}/carers/{ids[1]}/court-order"
    no_reason = dsl.post(
        url, data={"csrf_token": csrf_token(family), "action": "set", "reason": " "}
    )
    assert no_reason.status_code == 303
    with app.app_context():
        assert db.session.get(PupilContact, ids[1]).court_order_restriction is False
    done = dsl.post(
        url,
        data={
            "csrf_token": csrf_token(family),
            "action": "set",
            "reason": "Prohibited steps order, Family Court, 1 September 2026",
        },
        follow_redirects=True,
    )
    text = done.get_data(as_text=True)
    assert "Court-order restriction recorded" in text and "data-court-order" in text
    assert 'data-status="restricted"' in text  # the family's badge says so first
    listed = dsl.get("/office/families?q=Noah").get_data(as_text=True)
    assert "Restricted" in listed

    with app.app_context():
        invitation = db.session.scalar(
            select(Invitation).where(Invitation.contact_id == jo_link.contact_id)
        )
        assert invitation.status is InvitationStatus.REVOKED
        statuses = db.session.scalars(
            select(Message.status).where(Message.invitation_id == invitation.id)
        ).all()
        assert statuses == [MessageStatus.FAILED]  # the queued invitation, cancelled
        event = db.session.scalar(
            select(AuditEvent).where(AuditEvent.action == "directory.court_order.set")
        )
        assert "Prohibited steps order" in event.detail
    assert client.get(f"/a/{jo_token}").status_code == 404  # the link stopped working

    new_link = client.get("/a/AAAAAAAAAAAAAAAAAAAAAA").get_data(as_text=True)
    client.post("/link/new", data={"csrf_token": csrf_token(new_link), "address": "07700 900005"})
    runner.bind(app)
    runner.run_job("chase")
    runner.run_job("dispatch")
    assert "+447700900005" not in _sent_to(app)
    with app.app_context():
        assert _token("+447700900005", MessageKind.NEW_LINK) is None

    cleared = dsl.post(
        url,
        data={"csrf_token": csrf_token(family), "action": "clear", "reason": "Order discharged"},
        follow_redirects=True,
    )
    assert "Court-order restriction cleared" in cleared.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(PupilContact, ids[1]).court_order_restriction is False
        assert db.session.scalar(
            select(AuditEvent.id).where(AuditEvent.action == "directory.court_order.cleared")
        )


def test_the_dispatcher_rechecks_a_restriction_at_the_moment_of_sending(app, office):
    """A court order committed while a message was already queued (by a job running at the
    same time) still stops it: the dispatcher never claims it."""
    location, page = _upload(office, SIMS.encode("utf-8"), "contacts.csv")
    _commit(office, location, page)
    _launch(app)
    with app.app_context():
        jo_id = db.session.scalar(select(Contact.id).where(Contact.first_name == "Jo"))
        db.session.execute(
            update(PupilContact)
            .where(PupilContact.contact_id == jo_id)
            .values(court_order_restriction=True)
        )
        db.session.commit()
    runner.bind(app)
    runner.run_job("dispatch")
    sent = _sent_to(app)
    assert "+447700900001" in sent
    assert "+447700900005" not in sent
    with app.app_context():
        status = db.session.scalar(
            select(Message.status).where(
                Message.contact_id == jo_id, Message.kind == MessageKind.INVITE
            )
        )
        assert status is MessageStatus.QUEUED


def test_a_file_with_no_court_order_does_not_clear_one_recorded_here(app, office):
    location, page = _upload(office, SIMS.encode("utf-8"), "contacts.csv")
    _commit(office, location, page)
    again = SIMS.replace("Father,2,Yes,Yes", "Father,2,Yes,No")
    location, page = _upload(office, again.encode("utf-8"), "contacts.csv")
    assert re.search(r"it stays until an admin or the DSL clears it", page)
    _commit(office, location, page)
    with app.app_context():
        raj = db.session.scalar(
            select(PupilContact).join(Contact).where(Contact.first_name == "Raj")
        )
        assert raj.court_order_restriction is True
