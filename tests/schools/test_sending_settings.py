"""A school's own SMS sender, price per segment and 'mobiles abroad' reach what is sent,
estimated and imported; without them the deployment's settings apply."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from parentlink.db import db
from parentlink.directory.importer import ImportRejected, import_families
from parentlink.directory.models import Contact
from parentlink.messaging.dispatcher import dispatch_pending
from parentlink.messaging.preview import preview_invitations
from parentlink.schools.models import School
from tests.builders import csv_bytes, family_row, launched, school


@pytest.fixture
def app_config(twilio_server) -> dict:
    return {
        **twilio_server.app_config(),
        "SMS_PRICE_PER_SEGMENT": 0.04,
        "SMS_PER_SECOND": 0,
    }


def test_invitations_go_from_the_schools_own_number_not_the_deployments(ctx, twilio_server):
    launched([family_row("P1", "C1")])
    the_school = db.session.scalar(select(School))
    the_school.sms_sender = "+447700900999"
    db.session.commit()
    dispatch_pending()
    (sent,) = twilio_server.messages
    assert sent["from"] == "+447700900999"


def test_the_reply_wording_follows_the_schools_sender(ctx):
    from parentlink.directory.models import Channel
    from parentlink.messaging.models import MessageKind
    from parentlink.messaging.templates import render

    the_school = school()
    args = {"contact": Contact(first_name="Sam"), "children": "Amelia"}
    alphanumeric = render(MessageKind.INVITE, Channel.SMS, school=the_school, **args).body
    the_school.sms_sender = "+447700900999"
    number = render(MessageKind.INVITE, Channel.SMS, school=the_school, **args).body
    assert "(Replies are not read.)" in alphanumeric
    assert "Replies are not read" not in number


def test_the_price_per_segment_is_the_schools_own_when_set(ctx):
    the_school = school()
    import_families(the_school.id, csv_bytes([family_row("P1", "C1")]))
    assert preview_invitations(the_school).price_per_segment == Decimal("0.04")
    the_school.sms_price_pence = Decimal("3.5")
    assert preview_invitations(the_school).price_per_segment == Decimal("0.035")


def test_mobiles_abroad_are_imported_only_when_the_school_allows_them(ctx):
    the_school = school()
    rows = csv_bytes([family_row("P1", "C1", mobile="+33 6 12 34 56 78")])
    with pytest.raises(ImportRejected) as refused:
        import_families(the_school.id, rows)
    assert "international mobiles are turned off" in str(refused.value.errors[0].message)
    the_school.allow_international_mobiles = True
    import_families(the_school.id, rows)
    assert db.session.scalar(select(Contact.mobile)) == "+33612345678"
