"""Shared steps for the parent tests: the families, their links, a filled-in form."""

from __future__ import annotations

from sqlalchemy import select

from parentlink.agreements.models import Audience
from parentlink.campaigns.models import Campaign
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
    campaign = db.session.scalar(select(Campaign))
    return [c.key for c in campaign.version.clauses_for(Audience.PARENTS_CARERS)]


def answers(app, page: str, *, name: str = "Sarah Example", questions=None) -> dict:
    """Form data agreeing to every clause, except those in `questions` (key -> text)."""
    questions = questions or {}
    with app.app_context():
        keys = parent_keys()
    data = {"csrf_token": csrf_token(page), "typed_name": name}
    for key in keys:
        if key in questions:
            data[f"answer-{key}"] = "question"
            data[f"question-{key}"] = questions[key]
        else:
            data[f"answer-{key}"] = "agree"
    return data
