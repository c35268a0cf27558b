"""Reminders name the closing date in the family's language when the school sends messages
in each family's language (Babel's full date without the year), and as before in English."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from parentlink.agreements.translations import load_seed_translations
from parentlink.campaigns.chase import remind_by_hand
from parentlink.campaigns.models import Invitation
from parentlink.campaigns.services import launch_campaign
from parentlink.core.clock import now
from parentlink.db import db
from parentlink.directory.importer import import_families
from parentlink.directory.models import Contact
from parentlink.messaging.models import Message, MessageKind
from tests.builders import csv_bytes, family_row, published_policy, school

CLOSES = datetime(2026, 10, 16, 23, 59, tzinfo=ZoneInfo("Europe/London"))  # a Friday

# (SMS: accents folded to GSM-7 where they can be; email as written)
EXPECTED = {
    "en": ("Friday 16 October", "Friday 16 October"),
    "pl": ("piatek, 16 pazdziernika", "piątek, 16 października"),
    "ar": ("الجمعة، 16 أكتوبر", "الجمعة، 16 أكتوبر"),
    "pt": ("sexta-feira, 16 de outubro", "sexta-feira, 16 de outubro"),
}


def _reminded(language: str, *, in_family_language: bool = True) -> dict:
    the_school = school()
    the_school.messages_in_family_language = in_family_language
    the_school.sms_segment_limit = 4
    version = published_policy(the_school.id)
    load_seed_translations(the_school.id, actor="test")
    import_families(
        the_school.id,
        csv_bytes(
            [
                family_row("P1", "C1", pupil_first_name="Amelia", preferred_channel="sms"),
                family_row("P1", "C2", pupil_first_name="Amelia", relationship="Father",
                           mobile="", email="tom@example.com", preferred_channel="email"),
            ]
        ),
    )  # fmt: skip
    for contact in db.session.scalars(select(Contact)):
        contact.language = language
    launch_campaign(the_school, version, name="Autumn", closes_at=CLOSES, actor="test")
    for invitation in db.session.scalars(select(Invitation)):
        assert remind_by_hand(invitation, now()) == 1
    db.session.flush()
    reminders = db.session.scalars(
        select(Message).where(Message.kind == MessageKind.REMINDER_1)
    ).all()
    return {m.channel.value: m for m in reminders}


@pytest.mark.parametrize("language", list(EXPECTED))
def test_a_reminder_gives_the_closing_date_in_the_familys_language(ctx, language):
    reminders = _reminded(language)
    sms_day, email_day = EXPECTED[language]
    assert sms_day in reminders["sms"].body, reminders["sms"].body
    assert email_day in reminders["email"].body, reminders["email"].body
    assert email_day in reminders["email"].html_body
    if language != "en":
        assert "October" not in reminders["sms"].body + reminders["email"].body


def test_messages_in_english_keep_the_english_date(ctx):
    reminders = _reminded("pl", in_family_language=False)
    assert "Friday 16 October" in reminders["sms"].body
    assert "Friday 16 October" in reminders["email"].body
