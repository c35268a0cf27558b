"""GOV.UK Notify's free yearly allowance: what is left this financial year (April to March,
UK time) after the texts ParentLink has sent through Notify, and the campaign preview's cost
from it; texts in alphabets Notify cannot send go in English; a launch refuses texts
Notify would still send as question marks."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select

from parentlink.campaigns.services import launch_campaign
from parentlink.core.clock import now
from parentlink.db import db
from parentlink.directory.models import Channel, Contact
from parentlink.messaging.allowance import Allowance, allowance_for, financial_year_start
from parentlink.messaging.models import Message, MessageKind
from parentlink.messaging.outbox import enqueue
from parentlink.messaging.preview import preview_invitations
from parentlink.messaging.templates import Rendered
from tests.builders import published_policy, school
from tests.messaging.test_preview_languages import LANGUAGES, _school_in_many_languages

NOTIFY_ID = "740e5834-3a29-46b4-9a6f-16142fde533a"


@pytest.mark.parametrize(
    ("moment", "start"),
    [
        (datetime(2026, 3, 31, 22, 59, tzinfo=UTC), date(2025, 4, 1)),  # 23:59 in London
        (datetime(2026, 3, 31, 23, 0, tzinfo=UTC), date(2026, 4, 1)),  # midnight, BST
        (datetime(2026, 12, 4, 12, 0, tzinfo=UTC), date(2026, 4, 1)),
        (datetime(2027, 1, 15, 12, 0, tzinfo=UTC), date(2026, 4, 1)),
    ],
)
def test_the_allowance_year_starts_on_1_april_uk_time(moment, start):
    assert financial_year_start(moment) == start


def _sent(school_id: int, at: datetime, provider_id: str | None, *, segments_text="x" * 200,
          channel=Channel.SMS) -> Message:  # fmt: skip
    message = enqueue(
        school_id=school_id, kind=MessageKind.TEST, channel=channel,
        rendered=Rendered(body=segments_text, subject="Test"),
        to="+447700900001" if channel is Channel.SMS else "office@example.com",
    )  # fmt: skip
    if provider_id is not None:
        message.accepted(at, provider_id)
    db.session.flush()
    return message


def test_only_texts_notify_accepted_this_year_use_the_allowance(ctx, app, clock):
    app.config["SMS_GATEWAY"] = "notify"
    the_school, other = school(), school_named("Other Primary")
    april = datetime(2026, 3, 31, 23, 30, tzinfo=UTC)  # 00:30 on 1 April in London
    _sent(the_school.id, april, NOTIFY_ID)  # 2 fragments: counted
    _sent(the_school.id, now(), NOTIFY_ID.replace("7", "8"), segments_text="x" * 400)  # 3
    _sent(the_school.id, datetime(2026, 3, 31, 22, 30, tzinfo=UTC), NOTIFY_ID)  # last year
    _sent(the_school.id, now(), "SM" + "0" * 32)  # Twilio's
    _sent(the_school.id, now(), "SB" + "0" * 32)  # the sandbox's
    _sent(the_school.id, now(), None)  # queued, not sent yet
    _sent(the_school.id, now(), NOTIFY_ID, channel=Channel.EMAIL)  # emails are free
    _sent(other.id, now(), NOTIFY_ID)  # another school's
    the_school.notify_free_allowance = 5000
    allowance = allowance_for(the_school)
    assert (allowance.used, allowance.remaining, allowance.since) == (5, 4995, date(2026, 4, 1))
    assert allowance.price_pence == Decimal("2.4")  # Notify's published price
    clock.set(datetime(2027, 4, 1, 9, 0, tzinfo=UTC))  # a new year: all of it again
    assert allowance_for(the_school).remaining == 5000


def school_named(name: str):
    from parentlink.schools.services import create_school

    return create_school(name=name, short_name=name, slug=name.lower().replace(" ", "-"))


def test_fragments_past_the_allowance_cost_the_price_each():
    allowance = Allowance(total=5000, used=4990, since=date(2026, 4, 1), price_pence=Decimal("2.4"))
    assert (allowance.charged(30), allowance.cost(30)) == (20, Decimal("0.48"))
    assert allowance.cost(10) == Decimal("0.00")
    assert allowance.cost(10, after=30) == Decimal("0.24")  # the reminders, after the invitations
    spent = Allowance(total=100, used=250, since=date(2026, 4, 1), price_pence=Decimal("2.4"))
    assert (spent.remaining, spent.cost(1000)) == (0, Decimal("24.00"))


def test_the_preview_costs_notify_fragments_from_what_is_left_of_the_allowance(ctx, app):
    app.config["SMS_GATEWAY"] = "notify"
    the_school = _school_in_many_languages(app, on=False)  # every text in English
    the_school.notify_free_allowance = 6
    the_school.notify_price_pence = Decimal("2.5")
    _sent(the_school.id, now(), NOTIFY_ID, segments_text="x" * 300)  # 2 used: 4 left
    preview = preview_invitations(the_school)
    assert preview.sms == 6 and preview.total_segments == 12  # two fragments each
    assert preview.allowance.remaining == 4 and preview.free_segments == 4
    assert preview.estimated_cost == Decimal("0.20")  # 8 x 2.5p
    assert preview.price_per_segment == Decimal("0.025")
    assert preview.can_launch


def test_texts_notify_cannot_carry_go_in_english_and_the_launch_goes_ahead(ctx, app):
    """Notify would send Urdu, Arabic and Bengali letters as "?": those families' texts are
    written in English instead (their page still opens in their language); Polish and
    Romanian keep their language, their accents plainly downgraded by Notify."""
    app.config["SMS_GATEWAY"] = "notify"
    the_school = _school_in_many_languages(app)  # each family's language
    version = published_policy(the_school.id)
    preview = preview_invitations(the_school)
    lines = {line.code: line for line in preview.languages}
    for code in ("en", "pl", "ro"):
        assert lines[code].sample.segments.encoding == "GSM-7" and lines[code].cost > 0, code
        assert not lines[code].sample.segments.lost
        assert lines[code].sample.written_in == code
    english = lines["en"].sample.text.split("http")[0]
    for code in ("ur", "ar", "bn"):
        sample = lines[code].sample
        assert sample.written_in == "en" and not sample.segments.lost, code
        assert sample.segments.encoding == "GSM-7", code
        assert sample.text.split("http")[0].split(" ")[:3] == english.split(" ")[:3], code
    assert preview.over_limit == 0 and preview.can_launch
    launch_campaign(
        the_school, version, name="Autumn", closes_at=now().replace(year=2027), actor="t"
    )
    bodies = {
        language: body
        for language, body in db.session.execute(
            select(Contact.language, Message.body).join(Contact, Contact.id == Message.contact_id)
        )
    }
    for code in ("ur", "ar", "bn"):
        assert bodies[code].isascii(), (code, bodies[code])
    words = {code: body.split(": ", 1)[1][:20] for code, body in bodies.items()}
    assert words["pl"] != words["en"] and words["pl"].startswith("prosimy")  # Polish stays
    assert set(LANGUAGES.values()) == {"en", "pl", "ur", "ar", "bn", "ro"}


def test_with_twilio_the_same_languages_launch_and_cost_per_segment(ctx, app):
    the_school = _school_in_many_languages(app)
    preview = preview_invitations(the_school)
    assert preview.allowance is None and preview.can_launch
    assert preview.estimated_cost == preview.price_per_segment * preview.total_segments


def test_the_preview_command_prints_notifys_allowance_and_sends_what_it_can(app):
    app.config["SMS_GATEWAY"] = "notify"
    with app.app_context():
        _school_in_many_languages(app)
        published_policy(1)
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["campaign", "preview", "--show", "10"])
    assert result.exit_code == 0, result.output
    assert "plus VAT (GOV.UK Notify: 12 from the free allowance, 5000 of 5000 left" in result.output
    assert "refused" not in result.output and "???" not in result.output  # Arabic: in English


def test_the_reminders_cost_what_the_invitations_leave_of_the_allowance(ctx, app):
    from parentlink.campaigns.chase import parse_policy
    from parentlink.office.views.campaign_launch import reminder_cost

    app.config["SMS_GATEWAY"] = "notify"
    the_school = _school_in_many_languages(app, on=False)  # 6 texts of 2 fragments
    the_school.notify_free_allowance = 15
    preview = preview_invitations(the_school)
    assert preview.estimated_cost == Decimal("0.00")  # 12 of the 15 free
    # a reminder to the 60% still waiting: 6 x 0.6 x 2 = 7.2, about 7 fragments; 3 are
    # still free, 4 at 2.4p
    assert reminder_cost(preview, parse_policy("3:same")) == Decimal("0.10")
    app.config["SMS_GATEWAY"] = "sandbox"
    preview = preview_invitations(the_school)  # Twilio: every segment at 4p
    assert reminder_cost(preview, parse_policy("3:same")) == Decimal("0.29")


def test_a_name_in_another_alphabet_is_named_in_the_preview_before_notify_garbles_it(ctx, app):
    from parentlink.directory.importer import import_families
    from tests.builders import csv_bytes, family_row

    the_school = school()
    rows = [
        family_row("P1", "C1", pupil_first_name="Amelia"),
        family_row("P2", "C2", pupil_first_name="Аня"),  # Cyrillic
        family_row("P3", "C3", pupil_first_name="Zoë"),  # folds to Zoe
    ]
    import_families(the_school.id, csv_bytes(rows))
    the_school.sms_segment_limit = 3
    assert preview_invitations(the_school).can_launch  # Twilio sends Аня as UCS-2
    app.config["SMS_GATEWAY"] = "notify"
    preview = preview_invitations(the_school)
    assert preview.over_limit == 1
    (example,) = preview.over_limit_examples
    assert example.children == "Аня" and example.segments.lost == ("А", "н", "я")
    assert "for ???:" in example.segments.sent_text
