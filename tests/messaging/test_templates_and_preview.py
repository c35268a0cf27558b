"""Templates are checked before anything is sent; a campaign preview shows the SMS, their
segments and the cost; a launch with an SMS over the school's segment limit is refused."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from parentlink.agreements.services import current_version
from parentlink.campaigns.models import Campaign
from parentlink.campaigns.services import CampaignError, launch_campaign
from parentlink.core.clock import now
from parentlink.db import db
from parentlink.directory.importer import import_families
from parentlink.directory.models import Channel
from parentlink.messaging.models import Message, MessageKind
from parentlink.messaging.preview import preview_invitations
from parentlink.messaging.templates import (
    PLACEHOLDERS,
    SAMPLE,
    TemplateProblem,
    check_source,
    check_templates,
    render,
)
from tests.builders import csv_bytes, family_row, published_policy, school


def test_every_kind_has_sms_and_email_templates_that_pass_the_checks(ctx):
    check_templates()
    assert set(PLACEHOLDERS) == set(MessageKind)


@pytest.mark.parametrize(
    ("kind", "channel", "source", "problem"),
    [
        (
            MessageKind.INVITE,
            Channel.SMS,
            "{{ school.short_name }}: {{ lnk }}",
            "unknown placeholder lnk",
        ),
        (
            MessageKind.INVITE,
            Channel.SMS,
            "{{ school.short_name }} {{ children }}",
            "missing placeholder link",
        ),
        (MessageKind.RECEIPT, Channel.EMAIL, "Thanks {{ link }}", "missing placeholder reference"),
        (
            MessageKind.CONCERN_ACK,
            Channel.SMS,
            "{{ reference }} {{ children }}",
            "unknown placeholder children",
        ),
        (
            MessageKind.INVITE,
            Channel.SMS,
            "{{ contact.last_name }} {{ children }} {{ link }}",
            "first names only",
        ),
        (MessageKind.INVITE, Channel.SMS, "{{ children }} {{ link }", "unexpected"),
    ],
)
def test_a_bad_template_is_refused_with_a_reason(ctx, kind, channel, source, problem):
    with pytest.raises(TemplateProblem, match=problem):
        check_source(kind, channel, "edited", source)


def test_a_missing_value_never_renders_as_a_gap(ctx):
    with pytest.raises(TemplateProblem, match="closes_on"):
        render(MessageKind.REMINDER_1, Channel.SMS, school=school(), children="Amelia")


def _families(school_id: int, rows) -> None:
    import_families(school_id, csv_bytes(rows))
    db.session.flush()


def test_the_preview_shows_each_sms_its_segments_and_the_cost(ctx, app):
    app.config["SMS_PRICE_PER_SEGMENT"] = 0.0375
    the_school = school()
    _families(
        the_school.id,
        [
            family_row("P1", "C1", pupil_first_name="Amelia"),
            family_row("P2", "C2", pupil_first_name="Łukasz"),  # not GSM-7: UCS-2
            family_row("P3", "C3", preferred_channel="email"),
        ],
    )
    preview = preview_invitations(the_school)
    amelia, lukasz = preview.sms
    assert amelia.text.startswith(
        "Coates Lane Primary: please read and confirm our social media agreement for Amelia: "
        "http://parentlink.test/a/"
    )
    assert (amelia.segments.encoding, amelia.segments.count) == ("GSM-7", 1)
    assert (lukasz.segments.encoding, lukasz.segments.count, lukasz.segments.non_gsm) == (
        "UCS-2",
        3,
        ("Ł",),
    )
    assert preview.emails == 1 and preview.unreachable == []
    assert preview.total_segments == 4 and preview.segments_histogram == {1: 1, 3: 1}
    assert preview.estimated_cost == Decimal("0.15")
    assert not preview.can_launch and preview.over_limit == [lukasz]


def _many_children(n: int = 10):
    return [
        family_row(f"P{i}", "C1", pupil_first_name=f"Maximilianaugustine{i:02d}")
        for i in range(1, n + 1)
    ]


def test_launch_is_refused_while_an_sms_is_over_the_segment_limit(ctx):
    the_school = school()
    version = published_policy(the_school.id)
    _families(the_school.id, _many_children())
    with pytest.raises(CampaignError, match="over the school's limit of 2"):
        launch_campaign(
            the_school, version, name="Autumn", closes_at=now().replace(year=2027), actor="t"
        )
    db.session.rollback()
    assert db.session.scalar(select(func.count(Campaign.id))) == 0
    assert db.session.scalar(select(func.count(Message.id))) == 0


def test_a_school_with_a_higher_limit_may_launch_and_the_message_knows_its_segments(ctx):
    the_school = school()
    the_school.sms_segment_limit = 3
    version = published_policy(the_school.id)
    _families(the_school.id, _many_children())
    launch_campaign(
        the_school, version, name="Autumn", closes_at=now().replace(year=2027), actor="t"
    )
    assert db.session.scalar(select(Message.segments)) == 3


def test_the_preview_command_prints_the_cost_and_refuses_too_long_sms(app):
    with app.app_context():
        the_school = school()
        published_policy(the_school.id)
        _families(the_school.id, [family_row("P1", "C1", pupil_first_name="Amelia")])
        db.session.commit()
    cli = app.test_cli_runner()
    result = cli.invoke(args=["campaign", "preview"])
    assert result.exit_code == 0, result.output
    assert "1 invitations: 1 SMS, 0 emails" in result.output
    assert "Estimated cost: GBP 0.04" in result.output
    assert "for Amelia: http://parentlink.test/a/" in result.output
    with app.app_context():
        _families(current_version(1).school_id, _many_children())
        db.session.commit()
    result = cli.invoke(args=["campaign", "preview"])
    assert result.exit_code == 1
    assert "Launch would be refused: 1 SMS over the limit of 2 segments" in result.output


@pytest.mark.parametrize("kind", sorted(PLACEHOLDERS, key=lambda k: k.value), ids=lambda k: k.value)
def test_every_email_reads_on_a_small_phone_without_sideways_scrolling(ctx, phone, kind):
    values = {k: v for k, v in SAMPLE.items() if k in PLACEHOLDERS[kind]}
    values["link"] = "https://parentlink.example.com/a/Xq3v9Kk2pZ0aB7cD1eF4gH"
    phone.set_content(render(kind, Channel.EMAIL, **values).html)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    assert "Coates Lane Primary School" in phone.inner_text("body")
