"""The production rehearsal with GOV.UK Notify as the gateway (issue 19).

The same production shape as test_rehearsal.py (stack.py: PostgreSQL, gunicorn with two
workers, the jobs process on its own, nginx with TLS), but texts, and emails or not, go
through the local Notify-compatible server. That server calls back as Notify does: to the
https:// public address, through nginx, with the bearer token the school set, checking
nginx's certificate against the tests' authority for the public host name. The office,
and parents, use Chromium over https:// as in the first rehearsal.
"""

from __future__ import annotations

import secrets
import shutil
import time
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import pytest

from tests.builders import STAFF_PASSWORD, csv_bytes, family_row
from tests.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.fakes.notify_api import NotifyCompatibleServer
from tests.fakes.smtp import CapturingSMTPServer
from tests.system import steps
from tests.system.stack import HOST, production, wait_until

pytestmark = [pytest.mark.rehearsal, pytest.mark.browser, pytest.mark.own_postgres]

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CALLBACK_TOKEN = secrets.token_urlsafe(24)
SARAH = "Sarah Pemberton"
SARAH_MOBILE = "+447700900417"
DAVID = "David Okonkwo"
DAVID_EMAIL = "david.okonkwo@example.com"
GRACE = "Grace Adeyemi"
GRACE_MOBILE = "+447700900418"
GRACE_EMAIL = "grace.adeyemi@example.com"
REPLY = "Is the class WhatsApp group covered by this"


def _families() -> bytes:
    amelia = {"pupil_first_name": "Amelia", "pupil_last_name": "Pemberton"}
    return csv_bytes(
        [
            family_row(
                "P1",
                "C1",
                **amelia,
                contact_first_name="Sarah",
                contact_last_name="Pemberton",
                mobile="07700 900417",
                email="",
                preferred_channel="sms",
            ),
            family_row(
                "P1",
                "C2",
                **amelia,
                contact_first_name="David",
                contact_last_name="Okonkwo",
                relationship="Father",
                mobile="",
                email=DAVID_EMAIL,
                preferred_channel="email",
            ),
            family_row(
                "P2",
                "C3",
                pupil_first_name="Theo",
                pupil_last_name="Adeyemi",
                contact_first_name="Grace",
                contact_last_name="Adeyemi",
                mobile="07700 900418",
                email=GRACE_EMAIL,
                preferred_channel="sms",
            ),
        ]
    )


def _notify_settings(notify: NotifyCompatibleServer, *, email: bool) -> dict[str, str]:
    """The server's environment for a school's Notify service: the same names as the
    app's settings, with PARENTLINK_ in front."""
    settings = {
        **notify.app_config(sms=True, email=email),
        "NOTIFY_SMS_SENDER_ID": notify.sms_sender_id,
        "NOTIFY_EMAIL_REPLY_TO_ID": notify.email_reply_to_id,
    }
    return {f"PARENTLINK_{name}": value for name, value in settings.items()}


def _as_notify_calls_back(notify: NotifyCompatibleServer, site) -> None:
    """What the school enters in Notify's 'Callbacks' pages: the public https:// URLs."""
    notify.callback_url = f"{site.webhooks}/notify/status"
    notify.inbound_url = f"{site.webhooks}/notify/inbound"
    notify.callback_ca = str(site.certificate.ca)
    notify.resolve = {HOST: "127.0.0.1"}


@pytest.fixture
def notify():
    with NotifyCompatibleServer(callback_token=CALLBACK_TOKEN) as server:
        yield server


@pytest.fixture
def chromium(browser):
    launched = browser.browser_type.launch(
        executable_path=CHROMIUM,
        args=[*CHROMIUM_ARGS, f"--host-resolver-rules=MAP {HOST} 127.0.0.1"],
    )

    def new_page():
        context = launched.new_context(
            ignore_https_errors=True, viewport={"width": 360, "height": 740}
        )
        return context.new_page()

    yield new_page
    launched.close()


def _sent(notify, to: str, after: int = 0) -> list[dict]:
    """The notifications the local Notify took for one phone number or address."""
    return [
        n for n in notify.notifications[after:] if to in (n["phone_number"], n["email_address"])
    ]


def _office_sees(office, base: str, expected: dict[tuple[str, str], str]) -> None:
    """The message log shows these statuses (by recipient and kind), once the jobs process
    has recorded what the provider answered: it does so just after the provider took the
    message, so the office may need to look again, as it would."""
    seen: dict[tuple[str, str], str] = {}

    def shows() -> bool:
        seen.clear()
        for row in steps.message_log(office, base).values():
            seen[(row["to"], row["kind"])] = row["status"]
        return seen == expected

    try:
        wait_until(shows, "the statuses in the message log", timeout=30)
    except TimeoutError:
        assert seen == expected


def _launch(office, public_url: str, tmp_path: Path) -> None:
    steps.sign_in(office, public_url, "head@example.com", STAFF_PASSWORD)
    steps.enrol_two_factor(office)
    families = tmp_path / "families.csv"
    families.write_bytes(_families())
    steps.import_families(office, public_url, families)
    closes = (date.today() + timedelta(days=30)).isoformat()
    steps.launch_campaign(office, public_url, "Autumn round", closes)


def test_a_campaign_entirely_through_notify(notify, chromium, tmp_path):
    with production(tmp_path, _notify_settings(notify, email=True)) as site:
        _as_notify_calls_back(notify, site)
        started = time.monotonic()
        base = site.public_url
        office = chromium()
        _launch(office, base, tmp_path)

        # The jobs process sends the three invitations through Notify.
        wait_until(lambda: len(notify.notifications) >= 3, "the invitations through Notify")
        (sarah_invite,) = _sent(notify, SARAH_MOBILE)
        (david_invite,) = _sent(notify, DAVID_EMAIL)
        (grace_invite,) = _sent(notify, GRACE_MOBILE)
        assert sarah_invite["type"] == grace_invite["type"] == "sms"
        assert david_invite["type"] == "email" and david_invite["subject"]
        sarah_link = steps.personal_link(sarah_invite["body"], base)
        david_link = steps.personal_link(david_invite["body"], base)

        # Notify's delivery receipts reach the app through nginx, with the school's token.
        assert notify.post_status(sarah_invite["id"], "delivered") == 204
        assert notify.post_status(david_invite["id"], "delivered") == 204
        assert notify.post_status(grace_invite["id"], "permanent-failure") == 204
        # Grace's number is wrong: her invitation goes again by email, through Notify.
        wait_until(lambda: _sent(notify, GRACE_EMAIL), "Grace's invitation by email")
        (grace_email,) = _sent(notify, GRACE_EMAIL)
        grace_link = steps.personal_link(grace_email["body"], base)

        # A caller without the token changes nothing, and is told 401 by the app.
        assert notify.post_status(grace_email["id"], "permanent-failure", token="wrong") == 401
        assert notify.post_inbound("447700900417", "STOP", token="") == 401
        # Sarah texts the school's Notify number back: a question, then HELP, which the
        # jobs process answers through Notify.
        assert notify.post_inbound("447700900417", REPLY) == 204
        assert notify.post_inbound("447700900417", "Help") == 204
        wait_until(lambda: len(_sent(notify, SARAH_MOBILE)) == 2, "the answer to HELP")
        assert "Reply STOP to stop texts" in _sent(notify, SARAH_MOBILE)[1]["body"]

        _office_sees(
            office,
            base,
            {
                (SARAH_MOBILE, "invite (sms)"): "delivered",
                (DAVID_EMAIL, "invite (email)"): "delivered",
                (GRACE_MOBILE, "invite (sms)"): "failed",
                (GRACE_EMAIL, "invite (email)"): "sent",
                (SARAH_MOBILE, "help reply (sms)"): "sent",
            },
        )
        help_text, text = steps.texts_from_parents(office, base)  # newest first
        assert SARAH in text and REPLY in text and "HELP" in help_text
        assert not any("STOP" in t for t in (help_text, text))
        grace = steps.open_family(office, base, "Theo Adeyemi")[GRACE]
        assert "details flagged: The mobile number failed" in grace

        # The office reminds Sarah; the jobs process sends the reminder through Notify.
        steps.open_family(office, base, "Amelia Pemberton")
        steps.remind_now(office, SARAH)
        wait_until(lambda: len(_sent(notify, SARAH_MOBILE)) == 3, "Sarah's reminder")
        reminder_link = steps.personal_link(_sent(notify, SARAH_MOBILE)[2]["body"], base)
        assert reminder_link != sarah_link

        # Grace's link, issued again with her email, opens; Sarah and David confirm over
        # https://, and their receipts go through Notify.
        parent = chromium()
        parent.goto(grace_link)
        assert parent.get_by_role("heading", level=1).inner_text() == steps.AGREEMENT_HEADING
        steps.confirm(parent, reminder_link, "Sarah Pemberton")
        steps.confirm(parent, david_link, "David Okonkwo")
        wait_until(
            lambda: len(_sent(notify, SARAH_MOBILE)) == 4 and len(_sent(notify, DAVID_EMAIL)) == 2,
            "the receipts through Notify",
        )
        david_receipt = _sent(notify, DAVID_EMAIL)[1]
        assert steps.personal_link(david_receipt["body"], base) == david_link
        # David's inbox is full for now: undelivered, and his address is not flagged.
        assert notify.post_status(david_receipt["id"], "temporary-failure") == 204
        before = len(notify.notifications)
        steps.ask_for_a_new_link(parent, base, DAVID_EMAIL)
        wait_until(lambda: _sent(notify, DAVID_EMAIL, before), "David's new link")
        new_link = steps.personal_link(_sent(notify, DAVID_EMAIL, before)[0]["body"], base)
        parent.goto(new_link)
        assert parent.get_by_text(steps.RECEIPT.removeprefix("text=")).count() >= 1

        # Sarah texts STOP: she is opted out, as the office sees on the family page.
        assert notify.post_inbound("447700900417", "stop") == 204
        carers = steps.open_family(office, base, "Amelia Pemberton")
        assert "opted out of texts" in carers[SARAH]
        assert "flagged" not in carers[DAVID]
        assert any("STOP" in t for t in steps.texts_from_parents(office, base))

        # The settings page: Notify sends both; a test email from the web process goes too.
        gateways, answer = steps.gateways_and_test_email(office, base)
        assert gateways == {"sms": "GOV.UK Notify", "email": "GOV.UK Notify"}
        test_email = notify.notifications[-1]
        assert test_email["email_address"] == "head@example.com"
        assert f"GOV.UK Notify accepted notification {test_email['id']}" in answer

        # Each message reached Notify once, with our message id as its reference.
        log = steps.message_log(office, base)
        references = Counter(n["reference"] for n in notify.notifications)
        assert set(references.values()) == {1}, references
        for n in notify.notifications:
            row = log[int(n["reference"].removeprefix("parentlink-"))]
            assert row["to"] == (n["phone_number"] or n["email_address"])
        assert log[int(david_receipt["reference"].split("-")[1])]["status"] == "undelivered"
        assert len(notify.notifications) == 10
        elapsed = time.monotonic() - started

        site.stack.stop()
        personal = [
            CALLBACK_TOKEN,
            notify.live_key[-36:],  # the API key's secret
            REPLY,
            "Pemberton",
            "Okonkwo",
            "Adeyemi",
            DAVID_EMAIL,
            GRACE_EMAIL,
            "900417",
            "900418",
            *(
                link.rsplit("/", 1)[1]
                for link in (sarah_link, david_link, grace_link, reminder_link, new_link)
            ),
        ]
        _no_secrets_in_logs(site, personal)
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "rehearsal-notify.txt").write_text(
        f"Notify rehearsal (after start-up): {elapsed:.1f} s\n"
    )


def test_texts_through_notify_and_emails_through_smtp(notify, chromium, tmp_path):
    with CapturingSMTPServer() as smtp:
        gateways = {
            **_notify_settings(notify, email=False),
            "PARENTLINK_EMAIL_GATEWAY": "smtp",
            "PARENTLINK_SMTP_HOST": "127.0.0.1",
            "PARENTLINK_SMTP_PORT": str(smtp.port),
        }
        with production(tmp_path, gateways) as site:
            _as_notify_calls_back(notify, site)
            base = site.public_url
            office = chromium()
            _launch(office, base, tmp_path)
            wait_until(
                lambda: len(notify.notifications) >= 2 and len(smtp.messages) >= 1,
                "the invitations through Notify and the mail server",
            )
            assert sorted(n["phone_number"] for n in notify.notifications) == [
                SARAH_MOBILE,
                GRACE_MOBILE,
            ]
            assert [m.rcpt_tos for m in smtp.messages] == [[DAVID_EMAIL]]
            (sarah_invite,) = _sent(notify, SARAH_MOBILE)
            (grace_invite,) = _sent(notify, GRACE_MOBILE)
            assert notify.post_status(sarah_invite["id"], "delivered") == 204
            # Notify cannot reach Grace's mobile: her invitation goes by the mail server.
            assert notify.post_status(grace_invite["id"], "permanent-failure") == 204
            wait_until(lambda: len(smtp.messages) >= 2, "Grace's invitation by email")
            assert smtp.messages[1].rcpt_tos == [GRACE_EMAIL]
            steps.personal_link(smtp.messages[1].part("text/plain"), base)
            assert notify.post_inbound("447700900417", REPLY) == 204

            _office_sees(
                office,
                base,
                {
                    (SARAH_MOBILE, "invite (sms)"): "delivered",
                    (DAVID_EMAIL, "invite (email)"): "sent",
                    (GRACE_MOBILE, "invite (sms)"): "failed",
                    (GRACE_EMAIL, "invite (email)"): "sent",
                },
            )
            (text,) = steps.texts_from_parents(office, base)
            assert SARAH in text and REPLY in text
            gateways_shown, answer = steps.gateways_and_test_email(office, base)
            assert gateways_shown == {"sms": "GOV.UK Notify", "email": "your mail server (SMTP)"}
            assert "accepted by smtp" in answer, answer
            assert smtp.messages[-1].rcpt_tos == ["head@example.com"]
            assert len(notify.notifications) == 2


def _no_secrets_in_logs(site, personal: list[str]) -> None:
    shutil.copytree(site.stack.logs, ARTIFACTS / "rehearsal-notify-logs", dirs_exist_ok=True)
    logs = site.stack.lines()
    assert logs["jobs.log"], "the jobs process said nothing"
    assert any("/webhooks/notify/status" in line for line in logs["parentlink.access.log"])
    for name, lines in logs.items():
        for line in lines:
            for secret in personal:
                assert secret not in line, (name, secret, line)
