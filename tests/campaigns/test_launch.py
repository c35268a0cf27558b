"""Launching a campaign: who is invited, and what is kept."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from parentlink.agreements.services import load_version
from parentlink.campaigns.models import Invitation
from parentlink.campaigns.services import CampaignError, launch_campaign
from parentlink.core.clock import now
from parentlink.core.tokens import hash_token
from parentlink.db import db
from parentlink.directory.importer import import_families
from parentlink.directory.models import Channel, Contact
from parentlink.messaging.models import Message, MessageKind
from tests import builders
from tests.builders import family_row, launched


def _invited_contacts() -> list[str]:
    return sorted(
        db.session.scalars(
            select(Contact.mis_id).join(Invitation, Invitation.contact_id == Contact.id)
        )
    )


def test_one_invitation_per_carer_with_parental_responsibility(ctx):
    summary = launched(
        [
            family_row("P1", "C1", pupil_first_name="Amelia"),
            family_row("P2", "C1", pupil_first_name="Oscar"),  # a sibling: same carer
            family_row("P1", "C2", pupil_first_name="Amelia", relationship="Father"),
            family_row(
                "P1",
                "C3",
                pupil_first_name="Amelia",
                relationship="Grandmother",
                parental_responsibility="no",
            ),
        ]
    )
    assert summary.invitations == 2
    assert _invited_contacts() == ["C1", "C2"]
    mother = db.session.scalar(select(Invitation).join(Contact).where(Contact.mis_id == "C1"))
    assert [p.first_name for p in mother.pupils] == ["Amelia", "Oscar"]
    assert db.session.scalar(select(func.count(Message.id))) == 2
    sms = db.session.scalar(select(Message).where(Message.contact_id == mother.contact_id))
    assert sms.kind is MessageKind.INVITE and sms.channel is Channel.SMS
    assert sms.body.startswith(
        "Coates Lane Primary: please read and confirm our social media agreement for "
        "Amelia and Oscar: "
    )


def test_only_the_hash_of_each_token_is_kept_on_the_invitation(ctx):
    launched([family_row("P1", "C1"), family_row("P2", "C2")])
    for message in db.session.scalars(select(Message)):
        invitation = db.session.get(Invitation, message.invitation_id)
        assert len(message.link_token) >= 22  # 128 bits, URL-safe
        assert invitation.token_hash == hash_token(message.link_token)
        assert message.link_token not in invitation.token_hash


def test_the_preferred_channel_is_used_and_email_gets_subject_and_html(ctx):
    launched([family_row("P1", "C1", preferred_channel="email", mobile="")])
    message = db.session.scalar(select(Message))
    assert message.channel is Channel.EMAIL and message.to_address == "carer1@example.com"
    assert message.subject and "[[link]]" in message.html_body


def test_a_court_order_restriction_means_no_link(ctx):
    school = builders.school()
    version = builders.published_policy(school.id)
    import_families(school.id, builders.csv_bytes([family_row("P1", "C1"), family_row("P1", "C2")]))
    link = db.session.scalar(select(Contact).where(Contact.mis_id == "C2")).links[0]
    link.court_order_restriction = True
    summary = launch_campaign(
        school, version, name="Round", actor="test", closes_at=now() + timedelta(days=7)
    )
    assert summary.invitations == 1
    assert _invited_contacts() == ["C1"]


def test_a_draft_version_is_refused(ctx):
    school = builders.school()
    draft = load_version(school.id, builders.COATES_LANE_POLICY, actor="test")
    with pytest.raises(CampaignError, match="not published"):
        launch_campaign(
            school, draft, name="Round", actor="test", closes_at=now() + timedelta(days=7)
        )


def test_a_close_date_in_the_past_is_refused(ctx):
    school = builders.school()
    version = builders.published_policy(school.id)
    import_families(school.id, builders.csv_bytes([family_row("P1", "C1")]))
    with pytest.raises(CampaignError, match="future"):
        launch_campaign(
            school, version, name="Round", actor="test", closes_at=now() - timedelta(days=1)
        )
    assert db.session.scalar(select(func.count(Invitation.id))) == 0
