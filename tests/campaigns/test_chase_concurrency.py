"""Two chases at once (two jobs processes, two connections): every carer owed a reminder gets
exactly one. On PostgreSQL the first run's claim (FOR UPDATE SKIP LOCKED) keeps the second
off its invitations until it commits; on SQLite the second writer cannot commit over the
first's. Either way the count is one reminder per invitation."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from sqlalchemy import func, select

from parentlink.campaigns.chase import chase_all
from parentlink.db import db
from parentlink.messaging.models import Message, MessageKind
from parentlink.schools.terms import seed_standard_english_year
from tests.builders import family_row, launched

FAMILIES = 30


def test_two_chases_at_once_send_one_reminder_per_invitation(app, clock):
    clock.set(datetime(2026, 9, 14, 8, 0, tzinfo=UTC))  # Monday: launch day
    with app.app_context():
        summary = launched([family_row(f"P{n}", f"C{n}") for n in range(FAMILIES)], days_open=60)
        seed_standard_english_year(summary.campaign.school_id, 2026)
        db.session.commit()
    clock.set(datetime(2026, 9, 17, 9, 5, tzinfo=UTC))  # three school days later, 10:05 BST

    first_claimed = threading.Event()
    second_done = threading.Event()
    outcomes: dict[str, object] = {}

    def chase(name: str, hold: bool) -> None:
        with app.app_context():
            try:
                counts = chase_all()
                db.session.flush()
                if hold:  # keep the claim a while: the other run goes meanwhile
                    first_claimed.set()
                    second_done.wait(5)
                db.session.commit()
                outcomes[name] = counts.reminded
            except Exception as exc:  # noqa: BLE001 - the loser may be refused by the database
                db.session.rollback()
                outcomes[name] = exc
            finally:
                if not hold:
                    second_done.set()
                db.session.remove()

    first = threading.Thread(target=chase, args=("first", True))
    first.start()
    assert first_claimed.wait(30)
    second = threading.Thread(target=chase, args=("second", False))
    second.start()
    second.join(30)
    first.join(30)

    with app.app_context():
        per_invitation = db.session.execute(
            select(Message.invitation_id, func.count())
            .where(Message.kind == MessageKind.REMINDER_1)
            .group_by(Message.invitation_id)
        ).all()
    assert len(per_invitation) == FAMILIES, outcomes
    assert {count for _, count in per_invitation} == {1}, outcomes
    assert outcomes["first"] == FAMILIES
