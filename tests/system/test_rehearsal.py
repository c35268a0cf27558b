"""The production rehearsal: ParentLink as a school runs it, on this machine.

PostgreSQL (a database of its own), gunicorn with two workers in production mode, the jobs
process on its own, Debian's nginx from the kit with a self-signed certificate, the local
Twilio-compatible and SMTP servers as the gateways. Chromium then does, through https://,
what the office, parents and a new colleague do; Twilio's webhooks arrive through nginx,
signed for the public address. At the end every log line written by gunicorn, nginx, the
jobs process and the CLI is searched for tokens and personal data. The parent page's size
through nginx is written to test-artifacts/rehearsal.txt."""

from __future__ import annotations

import gzip
import re
import secrets
import shutil
import time
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlencode

import pytest
from twilio.request_validator import RequestValidator

from tests.builders import STAFF_PASSWORD, csv_bytes, family_row
from tests.concerns.family import picture
from tests.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.fakes.smtp import CapturingSMTPServer
from tests.fakes.twilio_api import TwilioCompatibleServer
from tests.system import steps
from tests.system.stack import HOST, production, through_nginx, wait_until

pytestmark = [pytest.mark.rehearsal, pytest.mark.browser, pytest.mark.own_postgres]

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
AUTH_TOKEN = secrets.token_hex(16)
SARAH = {"first": "Sarah", "last": "Pemberton", "mobile": "07700 900417"}
DAVID = {"first": "David", "last": "Okonkwo", "email": "david.okonkwo@example.com"}
QUESTION = "Does this cover the class WhatsApp group"
REASON = "I would like to speak to the class teacher first"
CONCERN = "An older pupil keeps messaging Amelia at night"
TYPED = "Sarah Pemberton-Hughes"
NEW_PASSWORD = "lantern orchard pebble minute"


def _families() -> bytes:
    return csv_bytes(
        [
            family_row(
                "P1",
                "C1",
                pupil_first_name="Amelia",
                pupil_last_name="Pemberton",
                contact_first_name=SARAH["first"],
                contact_last_name=SARAH["last"],
                mobile=SARAH["mobile"],
                email="",
                preferred_channel="sms",
            ),
            family_row(
                "P1",
                "C2",
                pupil_first_name="Amelia",
                pupil_last_name="Pemberton",
                contact_first_name=DAVID["first"],
                contact_last_name=DAVID["last"],
                relationship="Father",
                mobile="",
                email=DAVID["email"],
                preferred_channel="email",
            ),
        ]
    )


@pytest.fixture
def rehearsal(tmp_path):
    with (
        TwilioCompatibleServer(auth_token=AUTH_TOKEN) as twilio,
        CapturingSMTPServer() as smtp,
        production(
            tmp_path,
            {
                "PARENTLINK_SMS_GATEWAY": "twilio",
                "PARENTLINK_TWILIO_ACCOUNT_SID": twilio.account_sid,
                "PARENTLINK_TWILIO_AUTH_TOKEN": AUTH_TOKEN,
                "PARENTLINK_TWILIO_FROM": "CoatesLane",
                "PARENTLINK_TWILIO_API_URL": twilio.base_url,
                "PARENTLINK_EMAIL_GATEWAY": "smtp",
                "PARENTLINK_SMTP_HOST": "127.0.0.1",
                "PARENTLINK_SMTP_PORT": str(smtp.port),
            },
        ) as site,
    ):
        yield site.stack, twilio, smtp, site.public_url, site.https_port, site.http_port


def _signed_post(port: int, url: str, params: dict) -> int:
    """Twilio's way: form-encoded, signed over the public URL and the sorted parameters."""
    signature = RequestValidator(AUTH_TOKEN).compute_signature(url, params)
    status, _, _ = through_nginx(
        port,
        url.split(str(port), 1)[1],
        data=urlencode(params).encode(),
        headers={
            "X-Twilio-Signature": signature,
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )
    return status


def test_production_rehearsal(rehearsal, browser, tmp_path):
    started = time.monotonic()
    stack, twilio, smtp, public_url, port, http_port = rehearsal
    ARTIFACTS.mkdir(exist_ok=True)
    chromium = browser.browser_type.launch(
        executable_path=CHROMIUM,
        args=[*CHROMIUM_ARGS, f"--host-resolver-rules=MAP {HOST} 127.0.0.1"],
    )
    secrets_seen: list[str] = [STAFF_PASSWORD, NEW_PASSWORD]

    def new_page():
        return chromium.new_context(
            ignore_https_errors=True, viewport={"width": 360, "height": 740}
        ).new_page()

    # Plain HTTP goes to HTTPS.
    status, headers, _ = through_nginx(http_port, "/office/", scheme="http")
    assert status == 301 and headers["Location"] == f"{public_url}/office/"

    # The office: the head signs in (two-factor set up at once), imports, launches.
    office = new_page()
    steps.sign_in(office, public_url, "head@example.com", STAFF_PASSWORD)
    head_secret = steps.enrol_two_factor(office)
    secrets_seen.append(head_secret)
    families = tmp_path / "families.csv"
    families.write_bytes(_families())
    steps.import_families(office, public_url, families)
    closes = (date.today() + timedelta(days=30)).isoformat()
    steps.launch_campaign(office, public_url, "Autumn round", closes)

    # The jobs process's dispatcher sends through the gateways.
    wait_until(lambda: len(twilio.messages) >= 1 and len(smtp.messages) >= 1, "the invitations")
    sms, email = twilio.messages[0], smtp.messages[0]
    sarah_link = steps.personal_link(sms["body"], public_url)
    david_link = steps.personal_link(email.part("text/plain"), public_url)
    secrets_seen += [sarah_link.rsplit("/", 1)[1], david_link.rsplit("/", 1)[1]]

    # Twilio reports the SMS delivered, and Sarah texts back, both through nginx.
    assert sms["status_callback"].startswith(f"{public_url}/webhooks/twilio/status")
    assert (
        _signed_post(
            port,
            sms["status_callback"],
            {
                "MessageSid": sms["sid"],
                "MessageStatus": "delivered",
                "AccountSid": twilio.account_sid,
                "To": sms["to"],
                "From": "CoatesLane",
                "ApiVersion": "2010-04-01",
            },
        )
        == 204
    )
    assert (
        _signed_post(
            port,
            f"{public_url}/webhooks/twilio/inbound",
            {
                "MessageSid": "SM" + secrets.token_hex(16),
                "AccountSid": twilio.account_sid,
                "From": "+447700900417",
                "To": "+447700900999",
                "Body": "Thank you, will do tonight",
            },
        )
        == 200
    )
    status, _, _ = through_nginx(
        port, "/webhooks/twilio/inbound", data=b"Body=forged", headers={"X-Twilio-Signature": "bad"}
    )
    assert status == 403

    # The parent page as nginx sends it: compressed.
    status, headers, body = through_nginx(
        port, david_link.removeprefix(public_url), headers={"Accept-Encoding": "gzip"}
    )
    assert status == 200 and headers["Content-Encoding"] == "gzip"
    html = gzip.decompress(body)
    css_href = re.search(rb'href="(/static/[^"]+\.css[^"]*)"', html).group(1).decode()
    _, css_headers, css = through_nginx(port, css_href, headers={"Accept-Encoding": "gzip"})
    assert css_headers["Content-Encoding"] == "gzip"
    sizes = {
        "html": (len(body), len(html)),
        "css": (len(css), len(gzip.decompress(css))),
    }
    assert sum(plain for _, plain in sizes.values()) <= 30 * 1024
    assert sum(sent for sent, _ in sizes.values()) * 2 < sum(p for _, p in sizes.values())

    # Sarah: asks a question, confirms, withdraws, reports a concern, reads it in Polish.
    parent = new_page()
    steps.confirm(parent, sarah_link, TYPED, question=QUESTION)
    steps.withdraw(parent, REASON)
    shot = tmp_path / "screenshot.png"
    shot.write_bytes(picture(size=(400, 300)))
    steps.report_concern(parent, sarah_link, "Amelia", CONCERN, shot)
    parent.goto(sarah_link)
    steps.switch_language(parent, "Polski", "pl")
    parent.screenshot(path=str(ARTIFACTS / "rehearsal-parent-polish.png"), full_page=True)

    # David confirms, then asks for a new link, which the jobs process sends.
    steps.confirm(parent, david_link, "David Okonkwo")
    before = len(smtp.messages)
    steps.ask_for_a_new_link(parent, public_url, DAVID["email"])
    wait_until(lambda: len(smtp.messages) > before, "the new link")
    new_link = steps.personal_link(smtp.messages[-1].part("text/plain"), public_url)
    secrets_seen.append(new_link.rsplit("/", 1)[1])
    parent.goto(new_link)
    assert (
        parent.get_by_text(steps.RECEIPT.removeprefix("text=")).count()
        + parent.get_by_role("heading", level=1).count()
        >= 1
    )

    # A new colleague: invited, sets a password, sets up two-factor, signs in with a code.
    setup_link = steps.invite_colleague(office, public_url, "Dee Lead", "dsl@example.com", "dsl")
    secrets_seen.append(setup_link.rsplit("/", 1)[1])
    colleague = new_page()
    steps.accept_invitation(colleague, setup_link, NEW_PASSWORD)
    steps.sign_in(colleague, public_url, "dsl@example.com", NEW_PASSWORD)
    dsl_secret = steps.enrol_two_factor(colleague)
    secrets_seen.append(dsl_secret)
    steps.sign_out(colleague)
    steps.sign_in(colleague, public_url, "dsl@example.com", NEW_PASSWORD, dsl_secret, step=1)
    colleague.goto(f"{public_url}/office/concerns/")
    assert colleague.get_by_text("Cyberbullying").count() >= 1  # the DSL sees the concern
    colleague.screenshot(path=str(ARTIFACTS / "rehearsal-dsl-concerns.png"), full_page=True)
    chromium.close()

    # Every process stops; then every line they wrote is searched.
    stack.stop()
    shutil.copytree(stack.logs, ARTIFACTS / "rehearsal-logs", dirs_exist_ok=True)  # to read
    logs = stack.lines()
    assert any("/a/[token]" in line for line in logs["parentlink.access.log"])  # nginx
    assert any("/a/[token]" in line for line in logs["gunicorn.log"])
    assert any("/office/set-up/[token]" in line for line in logs["gunicorn.log"])
    assert logs["jobs.log"], "the jobs process said nothing"
    personal = [
        *secrets_seen,
        QUESTION,
        REASON,
        CONCERN,
        TYPED,
        SARAH["last"],
        DAVID["last"],
        DAVID["email"],
        "dsl@example.com",
        "Dee Lead",
        "900417",
        "7700900417",
    ]
    for name, lines in logs.items():
        for line in lines:
            for secret in personal:
                assert secret not in line, (name, secret, line)
    elapsed = time.monotonic() - started
    (ARTIFACTS / "rehearsal.txt").write_text(
        f"parent page through nginx: {sizes['html'][0]} bytes gzipped, "
        f"{sizes['html'][1]} bytes plain; CSS {sizes['css'][0]} gzipped, {sizes['css'][1]} plain\n"
        f"rehearsal (after start-up): {elapsed:.1f} s\n"
    )
