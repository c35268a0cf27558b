"""Every job run is recorded, and the office sees the last run of each job."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from jobs import runner
from parentlink.core.jobruns import JobOutcome, JobRun
from parentlink.db import db
from tests.builders import STAFF_PASSWORD, csrf_token, family_row, launched, staff
from tests.office.sign_in import sign_in, staff_with_two_factor


@pytest.fixture
def app_config() -> dict:
    return {"SMS_GATEWAY": "carrier-pigeon"}  # a misconfiguration the dispatcher meets


def _sign_in(client):
    page = client.get("/office/login").get_data(as_text=True)
    client.post(
        "/office/login",
        data={
            "csrf_token": csrf_token(page),
            "email": "office@example.com",
            "password": STAFF_PASSWORD,
        },
    )


def test_runs_are_recorded_and_a_failing_job_is_shown_not_hidden(app, client):
    with app.app_context():
        summary = launched([family_row("P1", "C1")])
        staff(summary.campaign.school_id)
        staff_with_two_factor(summary.campaign.school_id, "admin@example.com", "admin")
        db.session.commit()
    runner.bind(app)
    assert runner.run_job("heartbeat") == {"alive": 1}
    assert runner.run_job("dispatch") is None  # it failed: logged and recorded, not raised
    with app.app_context():
        runs = {run.job: run for run in db.session.scalars(select(JobRun))}
        assert runs["heartbeat"].outcome is JobOutcome.OK
        assert runs["heartbeat"].finished_at >= runs["heartbeat"].started_at
        assert runs["dispatch"].outcome is JobOutcome.FAILED
        assert "carrier-pigeon" in runs["dispatch"].error

    assert client.get("/office/jobs/").status_code == 302  # staff only
    _sign_in(client)
    assert client.get("/office/jobs/").status_code == 403  # administrators only
    client.post("/office/logout", data={"csrf_token": csrf_token(client.get("/office/").text)})
    sign_in(client, "admin@example.com", two_factor=True)
    page = client.get("/office/jobs/").get_data(as_text=True)
    # no bounce Maildir here: "not configured", which is not "not running"
    assert "not configured here (set <code>PARENTLINK_BOUNCE_MAILDIR</code>" in page
    assert "The jobs process is not running" in page
    assert 'class="job-failed"' in page
    assert "unknown sms gateway &#39;carrier-pigeon&#39;" in page
    assert "alive 1" in page
