"""A whole journey with every logger listening at DEBUG: sending through the real gateways,
a parent confirming, asking a question, withdrawing, reporting a concern and asking for a new
link, Twilio's delivery report. No captured line carries a token, a name, a number, an
address, a question or a concern's text."""

from __future__ import annotations

import logging

import pytest

from parentlink.core.logs import LINE_FORMAT, init_logging
from parentlink.db import db
from parentlink.messaging.dispatcher import dispatch_pending
from tests.builders import family_row, launched
from tests.concerns.family import picture, token_of
from tests.system import steps

pytestmark = pytest.mark.browser

QUESTION = "Does this cover the class WhatsApp group"
CONCERN = "Someone keeps posting photos of the Kestrels class"
REASON = "I would like to talk to Mrs Example first"


class Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter(LINE_FORMAT))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if not record.name.startswith("mail.log"):  # the test's own SMTP server (aiosmtpd)
            self.lines.append(self.format(record))


@pytest.fixture
def app_config(twilio_server, smtp_server) -> dict:
    return {**twilio_server.app_config(), **smtp_server.app_config()}


@pytest.fixture
def every_log_line(live_app):
    root = logging.getLogger()
    capture = Capture()
    level = root.level
    root.addHandler(capture)
    root.setLevel(logging.DEBUG)
    init_logging()  # as in production: the handlers exist before the app's logging starts
    yield capture.lines
    root.removeHandler(capture)
    root.setLevel(level)


def test_a_whole_journey_leaves_no_personal_data_in_the_logs(
    live_app, every_log_line, twilio_server, smtp_server, browser, tmp_path
):
    base = live_app.config["PUBLIC_URL"]
    rows = [
        family_row(
            "P1",
            "C1",
            pupil_first_name="Amelia",
            contact_first_name="Sarah",
            contact_last_name="Whitfield",
            mobile="07700 900321",
            email="sarah.w@example.com",
        ),
        family_row(
            "P1",
            "C2",
            pupil_first_name="Amelia",
            contact_first_name="David",
            contact_last_name="Whitfield",
            mobile="",
            email="david.w@example.com",
            preferred_channel="email",
        ),
    ]
    with live_app.app_context():
        launched(rows)
        sarah, david = token_of("C1"), token_of("C2")  # before sending blanks them
        dispatch_pending()
        db.session.commit()
    assert twilio_server.post_status(twilio_server.messages[0]["sid"], "delivered") == 204

    context = browser.new_context(viewport={"width": 360, "height": 740})
    page = context.new_page()
    link = f"{base}/a/{sarah}"
    steps.confirm(page, link, "Sarah Whitfield", question=QUESTION)
    steps.withdraw(page, REASON)
    shot = tmp_path / "post.png"
    shot.write_bytes(picture())
    steps.report_concern(page, link, "Amelia", CONCERN, shot)
    steps.confirm(page, f"{base}/a/{david}", "David Whitfield")
    steps.ask_for_a_new_link(page, base, "07700 900321")
    context.close()

    logged = "\n".join(every_log_line)
    assert "/a/[token]" in logged  # the request lines were captured
    for secret in (
        sarah,
        david,
        QUESTION,
        CONCERN,
        REASON,
        "Whitfield",
        "900321",
        "+447700900321",
        "sarah.w@example.com",
        "david.w@example.com",
    ):
        assert secret not in logged, secret
    for line in every_log_line:
        assert "\n" not in line
