"""Shared steps for the parent tests: the families, their links, a filled-in form."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from parentlink.agreements.models import Audience
from parentlink.agreements.queries import parent_points as points_of_version
from parentlink.agreements.services import COATES_LANE_POLICY, load_version, publish
from parentlink.campaigns.models import Campaign
from parentlink.campaigns.services import launch_campaign
from parentlink.core.clock import now
from parentlink.db import db
from parentlink.directory.models import Contact
from parentlink.messaging.models import Message, MessageKind
from tests.builders import csrf_token, family_row, launched


def token_for(contact_mis_id: str, kind: MessageKind = MessageKind.INVITE) -> str:
    return db.session.scalar(
        select(Message.link_token)
        .join(Contact, Contact.id == Message.contact_id)
        .where(Contact.mis_id == contact_mis_id, Message.kind == kind)
        .order_by(Message.id.desc())
        .limit(1)
    )


def separated_parents(app) -> tuple[str, str]:
    """C1 has Amelia and Oscar; C2 (separated, own address) has Amelia; C3 has no parental
    responsibility, so gets no link (court orders: tests/campaigns/test_launch.py)."""
    with app.app_context():
        launched(
            [
                family_row("P1", "C1", pupil_first_name="Amelia"),
                family_row("P2", "C1", pupil_first_name="Oscar"),
                family_row("P1", "C2", pupil_first_name="Amelia", relationship="Father"),
                family_row("P1", "C3", pupil_first_name="Amelia", parental_responsibility="no"),
            ]
        )
        return token_for("C1"), token_for("C2")


def parent_keys() -> list[str]:
    campaign = db.session.scalar(select(Campaign).order_by(Campaign.id.desc()).limit(1))
    return [c.key for c in campaign.version.clauses_for(Audience.PARENTS_CARERS)]


def parent_points() -> list[tuple[str, ...]]:
    """The clause keys of each point on the page of the latest campaign, in page order."""
    campaign = db.session.scalar(select(Campaign).order_by(Campaign.id.desc()).limit(1))
    return [point.keys for point in points_of_version(campaign.version)]


def answers(app, page: str, *, name: str = "Sarah Example", questions=None) -> dict:
    """Form data agreeing to every point, with a question on the point of each clause key
    in `questions` (key -> text)."""
    questions = questions or {}
    with app.app_context():
        points = parent_points()
    data = {"csrf_token": csrf_token(page), "typed_name": name}
    for number, keys in enumerate(points, start=1):
        for key in keys:
            if key in questions:
                data[f"q{number}"] = questions[key]
    return data


NEW_CLAUSE = r'''
[[clauses]]
key = "ask-before-posting-photos"
section = "Photos"
summary = """Please ask before you post photos from school events that show other \
people's children."""
body = """Parents and carers should not post images of other children taken at school \
events without the permission of those children's parents or carers."""
audiences = ["parents-carers"]
'''


def version_two_file(folder) -> str:
    """The Coates Lane policy as version 2.0: one clause reworded, one removed, one added."""
    text = COATES_LANE_POLICY.read_text(encoding="utf-8")
    text = text.replace('label = "1.0"', 'label = "2.0"', 1)
    text = text.replace("Data Protection Act 1998", "Data Protection Act 2018 and UK GDPR", 1)
    head, *blocks = text.split("[[clauses]]")
    blocks = [b for b in blocks if 'key = "keep-children-and-families-confidential"' not in b]
    path = folder / "coates-lane-2.toml"
    path.write_text(head + "[[clauses]]".join([""] + blocks) + NEW_CLAUSE, encoding="utf-8")
    return path


def relaunch_with_version_two(app, folder) -> None:
    """Publish 2.0 and start a new round (the old campaign is closed)."""
    with app.app_context():
        first = db.session.scalar(select(Campaign))
        first.close(now())
        version = publish(
            load_version(first.school_id, version_two_file(folder), actor="test"), actor="test"
        )
        launch_campaign(
            first.school,
            version,
            name="Spring round",
            closes_at=now() + timedelta(days=21),
            actor="test",
        )
        db.session.commit()
