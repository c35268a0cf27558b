"""What a parent and a member of staff do in Chromium, as steps shared by the HTTPS test
and the production rehearsal. Every selector of those journeys lives here, so a redesign of
the pages changes this one file."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pyotp

AGREEMENT_HEADING = "Our social media agreement"
RECEIPT = "text=Thank you, your answers are recorded"


def personal_link(message: str, public_url: str) -> str:
    """The personal link in a text or an email, as the parent taps it."""
    match = re.search(re.escape(public_url) + r"/a/[A-Za-z0-9_-]{22}", message)
    assert match, message
    return match.group(0)


def confirm(page, link: str, name: str, question: str | None = None) -> str:
    """Open a personal link, ask a question on the first point if given, sign and agree to
    the points; the receipt's reference."""
    page.goto(link)
    assert page.get_by_role("heading", level=1).inner_text() == AGREEMENT_HEADING
    if question:
        page.locator(".ask summary").first.click()
        page.locator("#q1").fill(question)
    page.get_by_label("Your full name").fill(name)
    page.get_by_role("button", name="I agree to these points").click()
    page.wait_for_selector(RECEIPT)
    return page.locator(".reference").inner_text()


def withdraw(page, reason: str) -> None:
    page.locator("summary", has_text="Withdraw my confirmation").click()
    page.get_by_label("Why are you withdrawing?").fill(reason)
    page.get_by_role("button", name="Withdraw my confirmation").click()
    page.get_by_role("button", name="Yes, withdraw").click()  # the "are you sure?" step
    page.wait_for_selector("text=You withdrew your confirmation on")


def switch_language(page, button: str, lang: str) -> None:
    """Choose a language with the page's own buttons (a form post); it sticks to the link."""
    page.get_by_role("button", name=button).click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == lang


def report_concern(page, link: str, child: str, what: str, screenshot: Path) -> None:
    page.goto(f"{link}/concern")
    page.get_by_label("Cyberbullying").check()
    page.get_by_label("What happened?").fill(what)
    page.get_by_label(child).check()
    page.get_by_label("Screenshots (optional)").set_input_files(str(screenshot))
    page.get_by_role("button", name="Send to the school").click()
    assert page.locator(".concern-state").first.inner_text() == "Received"


def ask_for_a_new_link(page, base: str, address: str) -> None:
    page.goto(f"{base}/link/new")
    page.get_by_label("Your mobile number or email address").fill(address)
    page.get_by_role("button", name="Send me a new link").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).is_visible()
    assert "expired" not in page.content()


def sign_in(
    page, base: str, email: str, password: str, totp_secret: str | None = None, step: int = 0
) -> None:
    """Sign in; with a TOTP secret, type the code of the current step (+ `step`: a code
    already used at enrolment is refused as a replay, so the next one is typed then)."""
    page.goto(f"{base}/office/login")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    if totp_secret:
        code = pyotp.TOTP(totp_secret).at(time.time() + 30 * step)
        page.get_by_label("Code from your authenticator app, or a recovery code").fill(code)
        page.get_by_role("button", name="Continue").click()
    page.wait_for_load_state()
    assert "/office/login" not in page.url, page.content()


def invite_colleague(page, base: str, name: str, email: str, role: str) -> str:
    """An administrator adds a colleague; the set-up link shown once."""
    page.goto(f"{base}/office/staff")
    page.get_by_label("Name", exact=True).fill(name)
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Role", exact=True).select_option(role)
    page.get_by_role("button", name="Add and send the invitation").click()
    return page.locator("[data-setup-link]").inner_text().strip()


def accept_invitation(page, link: str, password: str) -> None:
    page.goto(link)
    page.get_by_label("New password").fill(password)
    page.get_by_label("The same password again").fill(password)
    page.get_by_role("button", name="Save my password").click()
    page.wait_for_selector("text=Your password is set")


def enrol_two_factor(page) -> str:
    """On the set-up page after a first sign-in: type a code from the key shown; the key."""
    secret = page.locator("[data-secret]").inner_text().replace(" ", "")
    page.get_by_label("The 6-digit code your app shows now").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Turn on two-factor sign-in").click()
    page.get_by_role("link", name="Continue to the overview").click()
    page.wait_for_load_state()
    return secret


def sign_out(page) -> None:
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_load_state()


def import_families(page, base: str, csv_file: Path) -> None:
    """The office's MIS import: upload, (map the columns if asked), preview, import."""
    page.goto(f"{base}/office/import")
    page.locator("input[type=file]").set_input_files(str(csv_file))
    page.get_by_role("button", name="Upload and check").click()
    if page.get_by_role("button", name="Check the file").count():
        page.get_by_role("button", name="Check the file").click()
    page.get_by_role("button", name="Import", exact=True).click()
    page.wait_for_load_state()


def launch_campaign(page, base: str, name: str, closes_on: str) -> None:
    """The whole school, default reminders: preview, then launch."""
    page.goto(f"{base}/office/campaigns")
    page.fill("#name", name)
    page.fill("#closes_on", closes_on)
    page.click("text=Preview the messages")
    assert page.locator("h1").inner_text() == "Check the campaign before sending"
    page.click("text=Launch and send")
    assert "Launched:" in page.locator(".flash").inner_text()


def message_log(page, base: str) -> dict[int, dict[str, str]]:
    """The office's message log (first page, newest first): each message's recipient
    address, kind and status, by message id."""
    page.goto(f"{base}/office/messages")
    rows = page.locator("tr[data-message]").evaluate_all(
        """rows => rows.map(row => [row.dataset.message,
            ...[...row.cells].map(cell => cell.innerText.trim())])"""
    )
    return {
        int(number): {"to": to.splitlines()[-1], "kind": kind, "status": status}
        for number, _created, to, kind, status, _error in rows
    }


def texts_from_parents(page, base: str) -> list[str]:
    """The office inbox: each text as the office reads it (sender, then the text)."""
    page.goto(f"{base}/office/inbox")
    return [" ".join(row.split()) for row in page.locator("tr[data-inbound]").all_inner_texts()]


def open_family(page, base: str, pupil: str) -> dict[str, str]:
    """The family page of a pupil (by full name): what the office reads about each carer,
    by the carer's full name."""
    page.goto(f"{base}/office/families")
    page.get_by_role("link", name=pupil).click()
    page.wait_for_url(re.compile(r"/office/families/\d+$"))
    carers = {}
    for item in page.locator("li[data-contact]").all():
        carers[item.locator("strong").first.inner_text()] = " ".join(item.inner_text().split())
    return carers


def remind_now(page, carer: str) -> None:
    """On the family page: 'Remind now' for one carer."""
    page.get_by_role("button", name=f"Remind now {carer}").click()
    page.get_by_text(f"A reminder to {carer} is on its way.").wait_for()


def gateways_and_test_email(page, base: str) -> tuple[dict[str, str], str]:
    """The settings page: who sends each channel; then 'Send a test email to me', and what
    the page says the gateway answered."""
    page.goto(f"{base}/office/settings")
    gateways = {
        channel: page.locator(f"[data-gateway={channel}]").inner_text()
        for channel in ("sms", "email")
    }
    page.get_by_role("button", name="Send a test email to me").click()
    return gateways, page.locator("[data-flash]").first.inner_text()  # waits for the answer
