"""The settings page: each section saves on its own, refuses bad input with a clear message
and changes nothing then, and every change is in the audit log with its old and new value."""

from __future__ import annotations

import json
import re
from datetime import date, time
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import undefer

from parentlink.core.audit import AuditEvent
from parentlink.db import db
from parentlink.schools.models import Closure, School, Term
from tests.builders import csrf_token


def post(client, section: str, fields: dict, files: dict | None = None):
    token = csrf_token(client.get("/office/settings").get_data(as_text=True))
    data = {f"{section}-csrf_token": token}
    data.update({f"{section}-{k}": v for k, v in fields.items()})
    if files:
        data.update({f"{section}-{k}": v for k, v in files.items()})
    return client.post(f"/office/settings?section={section}", data=data)


def the_school(app) -> School:
    with app.app_context():
        found = db.session.scalar(select(School).options(undefer(School.logo)))
        db.session.expunge(found)
        return found


def events(app, prefix: str) -> list[dict]:
    with app.app_context():
        rows = db.session.scalars(
            select(AuditEvent.detail)
            .where(AuditEvent.action.like(prefix + "%"))
            .order_by(AuditEvent.id)
        ).all()
        return [json.loads(r) if r else {} for r in rows]


def test_the_page_shows_every_section_with_current_values(admin_client):
    body = admin_client.get("/office/settings").get_data(as_text=True)
    for heading in (
        "School details", "Sending window", "Text messages", "Send a test to yourself",
        "Safeguarding alerts", "Term dates",
    ):  # fmt: skip
        assert heading in body
    assert 'value="Coates Lane Primary School"' in body
    assert 'value="08:00"' in body and 'value="20:00"' in body
    assert "No term dates yet" in body


def test_school_details_are_saved_and_audited_old_to_new(app, admin_client):
    response = post(
        admin_client, "school",
        {"name": "Coates Lane Primary School", "short_name": "Coates Lane",
         "office_phone": "01632960123", "office_email": "Office@Example.com"},
    )  # fmt: skip
    assert response.status_code == 303
    page = admin_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "School details saved." in page
    saved = the_school(app)
    assert saved.short_name == "Coates Lane"
    assert saved.office_email == "Office@example.com"
    (detail,) = events(app, "school.settings")
    assert detail["changes"]["short_name"] == ["Coates Lane Primary", "Coates Lane"]
    assert detail["changes"]["office_email"] == [None, "Office@example.com"]


@pytest.mark.parametrize(
    ("section", "fields", "message"),
    [
        ("school", {"name": "", "short_name": "X"}, "Give the school&#39;s name."),
        (
            "school",
            {"name": "A", "short_name": "B", "office_email": "not an email"},
            "is not a valid email address",
        ),
        ("school", {"name": "A", "short_name": "B", "office_phone": "12"}, "not a valid phone"),
        ("window", {"start": "25:00", "end": "20:00"}, "Check the answers marked below"),
        (
            "sms",
            {"sms_sender": "CoatesLanePrimary", "sms_segment_limit": "2"},
            "at most 11 characters",
        ),
        ("sms", {"sms_sender": "12345", "sms_segment_limit": "2"}, "(with at least one letter"),
        ("sms", {"sms_sender": "07700900123", "sms_segment_limit": "2"}, "+447700900123"),
        ("sms", {"sms_sender": "Coates!", "sms_segment_limit": "2"}, "up to 11 letters"),
        ("sms", {"sms_segment_limit": "11"}, "between 1 and 10"),
        ("sms", {"sms_segment_limit": "two"}, "whole number"),
        ("sms", {"sms_segment_limit": "2", "sms_price_pence": "four"}, "number of pence"),
        ("sms", {"sms_segment_limit": "2", "sms_price_pence": "-1"}, "between 0 and 100"),
        ("safeguarding", {"dsl_alert_mobile": "020 7946 0123"}, "is a landline, which cannot"),
        ("safeguarding", {"escalation_emails": "head@example.com, nope"}, "not a valid email"),
    ],
)
def test_bad_input_is_refused_clearly_and_changes_nothing(
    app, admin_client, section, fields, message
):
    before = the_school(app)
    response = post(admin_client, section, fields)
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    summary = error_summary(body)
    field_errors = re.findall(r'<p class="error"[^>]*>(.*?)</p>', body)
    assert message in summary or any(message in e for e in field_errors)
    assert "Nothing was changed" in summary
    after = the_school(app)
    for column in (c.key for c in School.__table__.columns):
        assert getattr(after, column) == getattr(before, column), column
    assert events(app, "school.s") == []


def test_sms_settings_change_sender_price_limit_and_abroad(app, admin_client):
    response = post(
        admin_client, "sms",
        {"sms_sender": "CoatesLane", "sms_price_pence": "3.5p", "sms_segment_limit": "3",
         "allow_international_mobiles": "y"},
    )  # fmt: skip
    assert response.status_code == 303
    saved = the_school(app)
    assert saved.sms_sender == "CoatesLane"
    assert saved.sms_price_pence == Decimal("3.5")
    assert saved.sms_segment_limit == 3 and saved.allow_international_mobiles
    (detail,) = events(app, "school.settings")
    assert detail["changes"]["sms_segment_limit"] == [2, 3]
    assert detail["changes"]["sms_sender"] == [None, "CoatesLane"]
    page = admin_client.get("/office/settings").get_data(as_text=True)
    assert 'value="3.5"' in page
    assert "Replies are not read" in page  # a name cannot receive replies
    post(admin_client, "sms", {"sms_sender": "+447700900999", "sms_segment_limit": "3"})
    page = admin_client.get("/office/settings").get_data(as_text=True)
    assert "parents can reply" in page
    assert not the_school(app).allow_international_mobiles  # unticked box: off


def test_the_sending_window_is_saved_and_audited(app, admin_client):
    response = post(admin_client, "window", {"start": "09:30", "end": "18:00"})
    assert response.status_code == 303
    saved = the_school(app)
    assert (saved.sending_window_start, saved.sending_window_end) == (time(9, 30), time(18, 0))
    (detail,) = events(app, "school.sending_window")
    assert detail == {"old": "08:00-20:00", "window": "09:30-18:00"}


def test_terms_are_added_checked_listed_and_removed(app, admin_client):
    ok = post(admin_client, "term",
              {"kind": "term", "name": "Autumn 2026", "starts_on": "2026-09-02",
               "ends_on": "2026-12-18"})  # fmt: skip
    assert ok.status_code == 303
    backwards = post(admin_client, "term",
                     {"kind": "term", "name": "Spring 2027", "starts_on": "2027-03-26",
                      "ends_on": "2027-01-04"})  # fmt: skip
    assert backwards.status_code == 422
    assert "ends (2027-01-04) before it starts (2027-03-26)" in backwards.get_data(as_text=True)
    overlap = post(admin_client, "term",
                   {"kind": "term", "name": "Extra", "starts_on": "2026-12-01",
                    "ends_on": "2027-01-10"})  # fmt: skip
    assert overlap.status_code == 422
    assert "Extra overlaps Autumn 2026" in overlap.get_data(as_text=True)
    post(admin_client, "term",
         {"kind": "closure", "name": "October half term", "starts_on": "2026-10-26",
          "ends_on": "2026-10-30"})  # fmt: skip
    page = admin_client.get("/office/settings").get_data(as_text=True)
    assert "Autumn 2026" in page and "Wed 2 Sep 2026" in page and "October half term" in page
    with app.app_context():
        assert db.session.scalar(select(func.count(Term.id))) == 1
        closure_id = db.session.scalar(select(Closure.id))
    removed = post(admin_client, "delete-dates", {"kind": "closure", "item_id": str(closure_id)})
    assert removed.status_code == 303
    with app.app_context():
        assert db.session.scalar(select(func.count(Closure.id))) == 0
    assert [e["name"] for e in events(app, "terms.")] == [
        "Autumn 2026", "October half term", "October half term",
    ]  # fmt: skip


def _upload_terms(client, data: bytes, name: str):
    token = csrf_token(client.get("/office/settings").get_data(as_text=True))
    return client.post(
        "/office/settings/term-dates",
        data={"terms-upload-csrf_token": token, "terms-upload-file": (_file(data), name)},
    )


def _save_terms(client, preview):
    page = preview.get_data(as_text=True)
    plan = re.search(r'name="plan" value="([^"]+)"', page).group(1)
    return client.post(
        "/office/settings/term-dates/save", data={"csrf_token": csrf_token(page), "plan": plan}
    )


def test_a_term_dates_upload_is_shown_then_saved_all_or_nothing(app, admin_client):
    good = b"kind,name,starts_on,ends_on\nterm,Autumn 2026,2026-09-02,2026-12-18\n"
    bad = good + b"term,Spring 2027,2027-01-04,2027-03-26\nterm,Oops,2027-03-01,2027-04-01\n"
    response = _upload_terms(admin_client, bad, "terms.csv")
    assert response.status_code == 422
    assert "Row 4: Oops overlaps Spring 2027" in response.get_data(as_text=True)
    preview = _upload_terms(admin_client, good, "terms.csv")
    assert preview.status_code == 200
    page = preview.get_data(as_text=True)
    assert re.search(
        r'data-term="Autumn 2026">.*?data-days>78<', page, re.S
    )  # weekdays, no closures
    with app.app_context():
        assert db.session.scalar(select(func.count(Term.id))) == 0  # shown, not yet saved
    response = _save_terms(admin_client, preview)
    assert response.status_code == 303
    page = admin_client.get("/office/settings").get_data(as_text=True)
    assert "Saved 1 term and 0 closures." in page
    with app.app_context():
        assert db.session.scalar(select(Term.starts_on)) == date(2026, 9, 2)
    again = _save_terms(admin_client, preview)  # the same plan twice: overlaps, nothing saved
    assert again.status_code == 303
    assert "Nothing was saved: Autumn 2026 overlaps Autumn 2026" in admin_client.get(
        "/office/settings"
    ).get_data(as_text=True)
    forged = admin_client.post(
        "/office/settings/term-dates/save",
        data={"csrf_token": csrf_token(page), "plan": "eyJzaGFwZSI6IngifQ.forged"},
    )
    assert forged.status_code == 303
    assert "did not come back intact" in admin_client.get("/office/settings").get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(Term.id))) == 1


def test_an_icalendar_file_is_read_too(app, admin_client):
    ics = (
        b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//LA//Terms//EN\r\n"
        b"BEGIN:VEVENT\r\nUID:1\r\nDTSTART;VALUE=DATE:20260902\r\nDTEND;VALUE=DATE:20261219\r\n"
        b"SUMMARY:Autumn term\r\nEND:VEVENT\r\n"
        b"BEGIN:VEVENT\r\nUID:2\r\nDTSTART;VALUE=DATE:20261026\r\nDTEND;VALUE=DATE:20261031\r\n"
        b"SUMMARY:October half term\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    preview = _upload_terms(admin_client, ics, "la.ics")
    assert preview.status_code == 200
    assert _save_terms(admin_client, preview).status_code == 303
    with app.app_context():
        assert db.session.scalar(select(func.count(Closure.id))) == 1


def test_a_form_without_its_csrf_token_changes_nothing(app, admin_client):
    response = admin_client.post(
        "/office/settings?section=school", data={"school-name": "Hacked", "school-short_name": "H"}
    )
    assert response.status_code == 400
    assert the_school(app).name == "Coates Lane Primary School"


def error_summary(body: str) -> str:
    (found,) = re.findall(r'<div class="error-summary" role="alert">(.*?)</div>', body, re.S)
    return found


def _file(data: bytes):
    import io

    return io.BytesIO(data)
