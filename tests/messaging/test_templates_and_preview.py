"""Templates are checked before anything is sent; a campaign preview shows the SMS, their
segments and the cost; a launch with an SMS over the school's segment limit is refused."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

import pytest
from sqlalchemy import func, select, update

from parentlink.agreements.services import current_version
from parentlink.campaigns.audience import Audience, pupils_wanted
from parentlink.campaigns.models import AudienceKind, Campaign
from parentlink.campaigns.services import CampaignError, eligible_families, launch_campaign
from parentlink.core.clock import now
from parentlink.core.filters import and_list
from parentlink.db import db
from parentlink.directory.importer import import_families
from parentlink.directory.models import Channel, Contact
from parentlink.messaging.models import Message, MessageKind
from parentlink.messaging.outbox import sms_with_link
from parentlink.messaging.preview import preview_invitations
from parentlink.messaging.sms import count_segments
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


def test_templates_changed_after_passing_the_checks_are_checked_again(ctx, app, monkeypatch):
    from jinja2 import ChoiceLoader, DictLoader

    check_templates()  # passes, and is remembered
    check_templates()
    broken = DictLoader({"messages/sms/invite.txt": "{{ school.short_name }} {{ children }}"})
    monkeypatch.setattr(app.jinja_env, "loader", ChoiceLoader([broken, app.jinja_env.loader]))
    with pytest.raises(TemplateProblem, match="missing placeholder link"):
        check_templates()


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
    assert preview.sms_sample.text.startswith(
        "Coates Lane Primary: please read and confirm our social media agreement for Amelia: "
        "http://parentlink.test/a/"
    )
    assert (preview.sms_sample.segments.encoding, preview.sms_sample.segments.count) == (
        "GSM-7",
        1,
    )
    (lukasz,) = preview.over_limit_examples
    assert (lukasz.segments.encoding, lukasz.segments.count, lukasz.segments.non_gsm) == (
        "UCS-2",
        3,
        ("Ł",),
    )
    assert lukasz.carer == "CarerC2 Example" and lukasz.children == "Łukasz"
    assert preview.emails == 1 and preview.unreachable == 0 and preview.sms == 2
    assert "for ChildP3 here:" in preview.email_sample.text
    assert preview.total_segments == 4 and preview.segments_histogram == {1: 1, 3: 1}
    assert preview.estimated_cost == Decimal("0.15")
    assert not preview.can_launch and preview.over_limit == 1


NAMES = ["Al", "Amelia", "Oscar", "Mary Jane", "O'Neil", "Zoë", "Łukasz", "Chloé", "Maximilian"]


def _varied_school(the_school, families: int = 60):
    rows = []
    for n in range(1, families + 1):
        for child in range(1 + n % 4):
            name = NAMES[(n * 7 + child * 3) % len(NAMES)] * (1 + (n + child) % 3)
            rows.append(
                family_row(
                    f"P{n}-{child}",
                    f"C{n}",
                    pupil_first_name=name[:40],
                    contact_first_name=NAMES[n % len(NAMES)],
                    year_group=f"Year {1 + n % 6}",
                    preferred_channel="email" if n % 9 == 0 else "sms",
                    email="" if n % 13 == 0 else f"carer{n}@example.com",
                )
            )
    _families(the_school.id, rows)
    db.session.execute(  # opted out of texts, and no email: they cannot be reached
        update(Contact).where(Contact.email.is_(None)).values(sms_opted_out=True)
    )


def _every_message(the_school, pupils_wanted=None) -> Counter:
    """The brute force the preview avoids: render every family's SMS."""
    sizes: Counter = Counter()
    for contact, pupils in eligible_families(the_school.id, pupils_wanted).items():
        if contact.best_channel() is Channel.SMS:
            names = and_list([p.first_name for p in pupils])
            body = render(MessageKind.INVITE, Channel.SMS, school=the_school, children=names).body
            sizes[count_segments(sms_with_link(body)).count] += 1
    return sizes


def test_the_grouped_preview_counts_exactly_what_rendering_every_sms_would(ctx):
    the_school = school()
    the_school.sms_segment_limit = 9
    _varied_school(the_school)
    preview = preview_invitations(the_school)
    expected = _every_message(the_school)
    assert preview.segments_histogram == dict(sorted(expected.items()))
    assert len(expected) >= 3  # the families really differ
    assert preview.sms == sum(expected.values()) and preview.unreachable == 4
    year_3 = pupils_wanted(the_school.id, Audience(AudienceKind.YEAR_GROUPS, ("Year 3",)))
    narrowed = preview_invitations(the_school, pupils_wanted=year_3)
    assert narrowed.segments_histogram == dict(sorted(_every_message(the_school, year_3).items()))
    assert 0 < narrowed.sms < preview.sms


def test_the_preview_renders_one_sms_per_shape_of_names_not_one_per_family(ctx, monkeypatch):
    from parentlink.messaging import preview as module

    the_school = school()
    rows = [family_row(f"P{n}", f"C{n}", pupil_first_name="Amelia") for n in range(1, 201)]
    rows += [family_row(f"Q{n}", f"D{n}", pupil_first_name="Oscar") for n in range(1, 201)]
    _families(the_school.id, rows)
    calls = []
    real_render = module.render
    monkeypatch.setattr(module, "render", lambda *a, **k: calls.append(1) or real_render(*a, **k))
    preview = preview_invitations(the_school)
    assert preview.sms == 400 and preview.segments_histogram == {1: 400}
    assert len(calls) == 7  # 2 children's names x 3 lengths of carer names, and the sample


def test_past_the_cap_the_preview_says_how_many_it_did_not_check(ctx, monkeypatch):
    from parentlink.messaging import preview as module

    monkeypatch.setattr(module, "UNUSUAL_CAP", 2)
    the_school = school()
    _families(
        the_school.id,
        [family_row(f"P{n}", f"C{n}", pupil_first_name="Zoë") for n in range(1, 6)],
    )
    preview = preview_invitations(the_school)
    assert preview.sms == 5 and preview.unchecked == 3
    assert preview.segments_histogram == {1: 2}


def _many_children(n: int = 10):
    return [
        family_row(f"P{i}", "C1", pupil_first_name=f"Maximilianaugustine{i:02d}")
        for i in range(1, n + 1)
    ]


def test_launch_is_refused_while_an_sms_is_over_the_segment_limit(ctx):
    the_school = school()
    version = published_policy(the_school.id)
    _families(the_school.id, _many_children())
    with pytest.raises(
        CampaignError,
        match="1 text message cannot be sent as it is.* CarerC1 .*than the school.s limit of 2",
    ):
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
    assert "Launch would be refused: 1 SMS cannot be sent as they are" in result.output
    assert "refused: 3 segments, more than the school's limit of 2" in result.output


@pytest.mark.parametrize("kind", sorted(PLACEHOLDERS, key=lambda k: k.value), ids=lambda k: k.value)
def test_every_email_reads_on_a_small_phone_without_sideways_scrolling(ctx, phone, kind):
    values = {k: v for k, v in SAMPLE.items() if k in PLACEHOLDERS[kind]}
    values["link"] = "https://parentlink.example.com/a/Xq3v9Kk2pZ0aB7cD1eF4gH"
    phone.set_content(render(kind, Channel.EMAIL, **values).html)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    assert "Coates Lane Primary School" in phone.inner_text("body")
