"""Real dispatcher processes (`parentlink dispatch`) against the test database and a local
Twilio-compatible server: for the crash and concurrency tests."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import time

from parentlink.db import db
from parentlink.schools.models import School
from parentlink.schools.services import set_sending_window
from tests.conftest import TEST_AUTH_TOKEN

COMMAND = [sys.executable, "-c", "from parentlink.cli import main; main()", "dispatch"]


def dispatcher_env(database_url: str, twilio_server, **settings: object) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PARENTLINK_")}
    env.update(
        PARENTLINK_ENV="test",
        PARENTLINK_DATABASE_URL=database_url,
        PARENTLINK_PUBLIC_URL="http://parentlink.test",
        PARENTLINK_SMS_GATEWAY="twilio",
        PARENTLINK_TWILIO_API_URL=twilio_server.base_url,
        PARENTLINK_TWILIO_ACCOUNT_SID=twilio_server.account_sid,
        PARENTLINK_TWILIO_AUTH_TOKEN=TEST_AUTH_TOKEN,
        PARENTLINK_TWILIO_FROM="CoatesLane",
        PARENTLINK_SMS_PER_SECOND="0",
    )
    env.update({f"PARENTLINK_{k}": str(v) for k, v in settings.items()})
    return env


def start_dispatcher(env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(  # noqa: S603 - our own interpreter and command
        COMMAND, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def sending_any_time() -> None:
    """These processes use the real clock: no quiet hours, whatever the hour of the test."""
    for school in db.session.scalars(db.select(School)):
        set_sending_window(school, time(0, 0), time(0, 0), actor="test")
    db.session.commit()


def notify_dispatcher_env(database_url: str, notify_server, **settings: object) -> dict[str, str]:
    """A `parentlink dispatch` process that sends SMS and email through GOV.UK Notify (the
    local Notify-compatible server)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PARENTLINK_")}
    env.update(
        PARENTLINK_ENV="test",
        PARENTLINK_DATABASE_URL=database_url,
        PARENTLINK_PUBLIC_URL="http://parentlink.test",
        PARENTLINK_SMS_GATEWAY="notify",
        PARENTLINK_EMAIL_GATEWAY="notify",
        PARENTLINK_NOTIFY_API_URL=notify_server.base_url,
        PARENTLINK_NOTIFY_API_KEY=notify_server.live_key,
        PARENTLINK_NOTIFY_SMS_TEMPLATE_ID=notify_server.sms_template_id,
        PARENTLINK_NOTIFY_EMAIL_TEMPLATE_ID=notify_server.email_template_id,
        PARENTLINK_NOTIFY_CALLBACK_TOKEN=notify_server.callback_token,
        PARENTLINK_SMS_PER_SECOND="0",
        PARENTLINK_EMAIL_PER_SECOND="0",
    )
    env.update({f"PARENTLINK_{k}": str(v) for k, v in settings.items()})
    return env
