"""Concerns that cannot be used to flood, over real HTTP: a few reports per link an hour
(then a kind page, in the carer's language, with the school's phone number), even when
sent all at once; a burst reaches the DSL as one alert; a huge picture is refused or
reduced before it is decoded, within a memory budget."""

from __future__ import annotations

import io
import subprocess
import sys
import textwrap
import threading

import pytest
from PIL import Image
from sqlalchemy import func, select

from jobs import runner
from parentlink.campaigns.invitation_links import issue_link
from parentlink.campaigns.models import Invitation
from parentlink.concerns.forms import NO_CHILD
from parentlink.concerns.models import Concern
from parentlink.db import db
from parentlink.directory.models import Contact
from parentlink.messaging.models import Message, MessageKind
from tests.builders import family_row, launched, staff
from tests.security.web import Browser

PHONE = "01632 960123"  # tests.builders.school


def _family(app) -> str:
    with app.app_context():
        summary = launched([family_row("P1", "C1", pupil_first_name="Amelia")])
        school = summary.campaign.school
        school.dsl_alert_mobile = "+447700900500"
        for n in range(2):
            staff(school.id, email=f"dsl{n}@example.com", role="dsl")
        invitation = db.session.scalar(select(Invitation).join(Contact))
        token = issue_link(invitation, "new-link")
        db.session.commit()
    return token


def _report(browser: Browser, token: str, token_csrf: str, n: int):
    return browser.post(
        f"/a/{token}/concern",
        {
            "csrf_token": token_csrf,
            "category": "cyberbullying",
            "pupil": NO_CHILD,
            "description": f"Report number {n}: someone keeps posting about my child.",
        },
    )


def _concerns(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Concern.id)))


def test_one_link_can_send_a_few_reports_then_is_asked_kindly_to_wait(live_app, clock):
    token = _family(live_app)
    parent = Browser(live_app)
    csrf = parent.form(f"/a/{token}/concern")
    answers = [_report(parent, token, csrf, n) for n in range(6)]
    assert [r.status_code for r in answers] == [303, 303, 303, 429, 429, 429]
    assert PHONE in answers[-1].text
    assert _concerns(live_app) == 3
    clock.advance(hours=1, minutes=1)
    assert _report(parent, token, csrf, 7).status_code == 303


def test_the_wait_page_is_in_the_carers_language(live_app):
    token = _family(live_app)
    parent = Browser(live_app)
    parent.post(f"/a/{token}/language", {"csrf_token": parent.form(f"/a/{token}"), "lang": "pl"})
    csrf = parent.form(f"/a/{token}/concern")
    for n in range(3):
        _report(parent, token, csrf, n)
    refused = _report(parent, token, csrf, 4)
    assert refused.status_code == 429 and 'lang="pl"' in refused.text
    assert f"zadzwoń do szkoły pod numer {PHONE}" in refused.text


def test_reports_sent_all_at_once_still_stop_at_the_limit(live_app):
    token = _family(live_app)
    parent = Browser(live_app)
    csrf = parent.form(f"/a/{token}/concern")
    cookies = parent.cookies()
    barrier = threading.Barrier(8)

    def send(n: int) -> None:
        browser = Browser(live_app)
        browser.use_cookies(cookies)
        barrier.wait()
        _report(browser, token, csrf, n)

    threads = [threading.Thread(target=send, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert _concerns(live_app) == 3


def test_a_burst_of_reports_reaches_each_dsl_once(live_app):
    token = _family(live_app)
    parent = Browser(live_app)
    csrf = parent.form(f"/a/{token}/concern")
    for n in range(3):
        assert _report(parent, token, csrf, n).status_code == 303
    runner.bind(live_app)
    assert runner.run_job("concern_alerts")["alerted"] == 3
    with live_app.app_context():
        alerts = db.session.scalars(
            select(Message).where(Message.kind == MessageKind.DSL_ALERT)
        ).all()
        assert sorted(m.to_address for m in alerts) == sorted(
            ["dsl0@example.com", "dsl1@example.com", "+447700900500"]
        )
        assert all("3 new concerns" in m.body for m in alerts)


PEAK_GROWTH = textwrap.dedent(
    """
    import io, resource, sys
    from flask import Flask
    from flask_babel import Babel
    from parentlink.concerns.uploads import UploadRefused, clean_image
    data = open(sys.argv[1], "rb").read()
    app = Flask("budget")
    Babel(app)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with app.test_request_context():
        try:
            clean_image(io.BytesIO(data), "big")
        except UploadRefused:
            pass
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before)
    """
)
BUDGET_KB = 64 * 1024  # the old way took about 320 MB for a 6000 x 6000 picture


@pytest.mark.parametrize("kind", ["PNG", "JPEG"])
def test_a_6000_by_6000_picture_costs_less_than_the_memory_budget(tmp_path, kind):
    """Measured in a fresh process (its peak resident memory, counted, not timed)."""
    picture = tmp_path / f"big.{kind.lower()}"
    out = io.BytesIO()
    Image.new("RGB", (6000, 6000), (250, 250, 250)).save(out, kind)
    picture.write_bytes(out.getvalue())
    assert len(out.getvalue()) < 5 * 1024 * 1024  # small as sent: it passes the size check
    growth = subprocess.run(
        [sys.executable, "-c", PEAK_GROWTH, str(picture)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert int(growth) < BUDGET_KB
