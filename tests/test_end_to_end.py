"""The whole path once, with real parts: import -> launch -> dispatch -> the SMS reaches the
Twilio-compatible server and the email the SMTP server -> Chromium opens each link and
confirms -> a signed delivery report arrives -> the office page counts it all."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.builders import STAFF_PASSWORD, csv_bytes, family_row

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


def _link(text: str, base: str) -> str:
    match = re.search(re.escape(base) + r"/a/[A-Za-z0-9_-]{22}", text)
    assert match, f"no personal link in {text!r}"
    return match.group(0)


def _confirm_in_browser(page, link: str, name: str, shot: str) -> str:
    page.goto(link)
    assert page.get_by_role("heading", level=1).inner_text() == "Our social media agreement"
    assert page.get_by_text("Amelia").first.is_visible()
    page.screenshot(path=str(ARTIFACTS / f"{shot}-agreement.png"), full_page=True)
    page.get_by_label("Your full name").fill(name)
    page.get_by_role("button", name="I agree to these points").click()
    page.wait_for_selector("text=Thank you, your answers are recorded")
    reference = page.locator(".reference").inner_text()
    page.screenshot(path=str(ARTIFACTS / f"{shot}-receipt.png"), full_page=True)
    return reference


@pytest.fixture
def app_config(twilio_server, smtp_server) -> dict:
    return {
        **twilio_server.app_config(),
        **smtp_server.app_config(),
        "TWILIO_AUTH_TOKEN": twilio_server.auth_token,
    }


@pytest.mark.browser
def test_import_launch_send_confirm_and_count(
    live_app, twilio_server, smtp_server, phone, tmp_path
):
    ARTIFACTS.mkdir(exist_ok=True)
    app = live_app
    base = app.config["PUBLIC_URL"]
    families = tmp_path / "families.csv"
    families.write_bytes(
        csv_bytes(
            [
                family_row(
                    "P1",
                    "C1",
                    pupil_first_name="Amelia",
                    contact_first_name="Sarah",
                    mobile="07700 900101",
                    preferred_channel="sms",
                ),
                family_row(
                    "P1",
                    "C2",
                    pupil_first_name="Amelia",
                    contact_first_name="David",
                    relationship="Father",
                    mobile="",
                    email="david.example@example.com",
                    preferred_channel="email",
                ),
                family_row(
                    "P1",
                    "C3",
                    pupil_first_name="Amelia",
                    relationship="Grandmother",
                    parental_responsibility="no",
                    mobile="07700 900103",
                ),
            ]
        )
    )
    cli = app.test_cli_runner()

    def run(*args: str) -> str:
        result = cli.invoke(args=list(args))
        assert result.exit_code == 0, result.output
        return result.output

    run(
        "school",
        "create",
        "Coates Lane Primary School",
        "--short-name",
        "Coates Lane Primary",
        "--slug",
        "coates-lane",
    )
    run("agreement", "load")
    assert "3 pupil-contact links" in run("import", str(families))
    assert "2 invitations queued" in run(
        "campaign", "launch", "--name", "Autumn 2026", "--closes", "2026-10-16"
    )
    assert "2 accepted" in run("dispatch")

    # The SMS reached the Twilio-compatible server, the email the SMTP server.
    assert len(twilio_server.messages) == 1
    sms = twilio_server.messages[0]
    assert sms["to"] == "+447700900101"
    assert sms["body"].startswith(
        "Coates Lane Primary: please read and confirm our social media agreement for Amelia: "
    )
    assert sms["status_callback"] == f"{base}/webhooks/twilio/status?m=1"
    assert len(smtp_server.messages) == 1
    email = smtp_server.messages[0]
    assert email.rcpt_tos == ["david.example@example.com"]
    sms_link, email_link = _link(sms["body"], base), _link(email.part("text/plain"), base)
    assert sms_link != email_link
    assert _link(email.part("text/html"), base) == email_link

    # Twilio reports the SMS delivered, signed as Twilio signs.
    assert twilio_server.post_status(sms["sid"], "delivered") == 204

    # Each parent opens their own link in Chromium and confirms.
    first = _confirm_in_browser(phone, sms_link, "Sarah Example", "sms-parent")
    second = _confirm_in_browser(phone, email_link, "David Example", "email-parent")
    assert re.fullmatch(r"PL-[A-Z2-9]{6}", first) and first != second

    run(
        "staff",
        "create",
        "--email",
        "office@example.com",
        "--name",
        "Office",
        "--password",
        STAFF_PASSWORD,
    )
    phone.goto(f"{base}/office/")
    phone.get_by_label("Email address").fill("office@example.com")
    phone.get_by_label("Password").fill(STAFF_PASSWORD)
    phone.get_by_role("button", name="Sign in").click()
    phone.wait_for_selector("text=Pupils covered")
    counts = {
        name: phone.locator(f"[data-count={name}]").inner_text()
        for name in ("invited", "sent", "delivered", "opened", "confirmed")
    }
    phone.screenshot(path=str(ARTIFACTS / "office-overview.png"), full_page=True)
    assert counts == {
        "invited": "2",
        "sent": "2",
        "delivered": "1",  # only what a provider reported: the SMS; the email is "sent"
        "opened": "2",
        "confirmed": "2",
    }
