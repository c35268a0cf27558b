"""Family messages in each family's language: the invitation goes in the contact's
language when the school turns it on, and the campaign preview shows, per language, the
text, its encoding and segments, and the cost (most of these languages need UCS-2)."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

from sqlalchemy import select

from parentlink.campaigns.services import eligible_families
from parentlink.core.filters import and_list
from parentlink.db import db
from parentlink.directory.importer import import_families
from parentlink.directory.models import Channel, Contact
from parentlink.messaging.models import MessageKind
from parentlink.messaging.outbox import sms_with_link
from parentlink.messaging.preview import preview_invitations
from parentlink.messaging.sms import count_segments
from parentlink.messaging.templates import render
from tests.builders import csv_bytes, family_row, school

LANGUAGES = {"C1": "en", "C2": "pl", "C3": "ur", "C4": "ar", "C5": "bn", "C6": "ro"}


def _school_in_many_languages(app, *, on: bool = True):
    app.config["SMS_PRICE_PER_SEGMENT"] = 0.04
    the_school = school()
    the_school.messages_in_family_language = on
    the_school.sms_segment_limit = 3
    rows = []
    for n, contact in enumerate(LANGUAGES, start=1):
        rows.append(family_row(f"P{n}", contact, pupil_first_name="Amelia"))
        rows.append(family_row(f"Q{n}", contact, pupil_first_name="Oscar"))
    import_families(the_school.id, csv_bytes(rows))
    for contact in db.session.scalars(select(Contact)):
        contact.language = LANGUAGES[contact.mis_id]
    db.session.flush()
    return the_school


def test_the_invitation_goes_in_the_family_language_only_when_the_school_says_so(ctx, app):
    the_school = _school_in_many_languages(app, on=False)
    polish = db.session.scalar(select(Contact).where(Contact.mis_id == "C2"))
    names = and_list(["Amelia", "Oscar"])
    english = render(MessageKind.INVITE, Channel.SMS, school=the_school, contact=polish,
                     children=names)  # fmt: skip
    assert "please read and confirm" in english.body and "Amelia and Oscar" in english.body
    the_school.messages_in_family_language = True
    sms = render(MessageKind.INVITE, Channel.SMS, school=the_school, contact=polish,
                 children=names)  # fmt: skip
    assert "prosimy przeczytac i potwierdzic" in sms.body and "Amelia i Oscar" in sms.body
    email = render(MessageKind.INVITE, Channel.EMAIL, school=the_school, contact=polish,
                   children=names)  # fmt: skip
    assert (
        email.subject == "Prosimy o potwierdzenie naszego porozumienia o mediach społecznościowych"
    )
    assert '<html lang="pl" dir="ltr">' in email.html and "Przeczytaj i potwierdź" in email.html
    urdu = db.session.scalar(select(Contact).where(Contact.mis_id == "C3"))
    email = render(MessageKind.RECEIPT, Channel.EMAIL, school=the_school, contact=urdu,
                   children=names, reference="PL-ABC234", has_questions=False)  # fmt: skip
    assert '<html lang="ur" dir="rtl">' in email.html and "PL-ABC234" in email.body


def test_the_preview_shows_each_language_its_encoding_segments_and_cost(ctx, app):
    the_school = _school_in_many_languages(app)
    preview = preview_invitations(the_school)
    lines = {line.code: line for line in preview.languages}
    assert list(lines) == ["en", "pl", "ro", "ur", "ar", "bn"]  # in the page's order
    for code in ("en", "pl", "ro"):  # accents folded: GSM-7, 2 segments with the link
        assert lines[code].sample.segments.encoding == "GSM-7", code
    for code in ("ur", "ar", "bn"):
        assert lines[code].sample.segments.encoding == "UCS-2", code
        assert lines[code].sample.segments.count == 3, code
    assert "Amelia اور Oscar" in lines["ur"].sample.text
    assert all(line.sms == 1 for line in lines.values())
    assert sum(line.segments for line in lines.values()) == preview.total_segments
    assert lines["ar"].cost == Decimal("0.12")  # 3 segments at 4p
    # the grouped preview counts what rendering every family's text would
    rendered: Counter = Counter()
    for contact, pupils in eligible_families(the_school.id, None).items():
        body = render(MessageKind.INVITE, Channel.SMS, school=the_school, contact=contact,
                      children=and_list([p.first_name for p in pupils])).body  # fmt: skip
        rendered[count_segments(sms_with_link(body)).count] += 1
    assert preview.segments_histogram == dict(sorted(rendered.items()))


def test_without_family_languages_the_preview_has_no_language_lines(ctx, app):
    the_school = _school_in_many_languages(app, on=False)
    preview = preview_invitations(the_school)
    assert preview.languages == [] and "please read and confirm" in preview.sms_sample.text
