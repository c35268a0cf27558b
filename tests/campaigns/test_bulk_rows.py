"""A launch writes its rows with db.insert_many: values as the ORM would store them, and a
call that forgets a column with a default, or gives a column too few values, is refused
with nothing written."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from parentlink.core.clock import now
from parentlink.db import db, insert_many
from parentlink.directory.models import Channel
from parentlink.messaging.models import Message, MessageKind, MessageStatus
from tests.builders import school


def _values(school_id: int, rows: int) -> dict:
    at = now()
    return {
        "school_id": school_id,
        "kind": MessageKind.INVITE,
        "channel": [Channel.SMS if n % 2 else Channel.EMAIL for n in range(rows)],
        "to_address": [f"+447700900{n:03d}" for n in range(rows)],
        "body": [f"Hello {n} 'quoted' %s {{0}}" for n in range(rows)],
        "status": MessageStatus.QUEUED,
        "attempts": 0,
        "next_attempt_at": at,
        "created_at": at,
    }


def test_rows_read_back_through_the_orm_as_they_were_given(ctx):
    the_school = school()
    insert_many(Message.__table__, _values(the_school.id, 3), rows=3)
    messages = db.session.scalars(select(Message).order_by(Message.id)).all()
    assert [m.channel for m in messages] == [Channel.EMAIL, Channel.SMS, Channel.EMAIL]
    assert [m.body for m in messages][1] == "Hello 1 'quoted' %s {0}"
    assert {m.status for m in messages} == {MessageStatus.QUEUED}
    assert messages[0].created_at == now() and messages[0].created_at.tzinfo is not None


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda v: v.pop("status"), "name status too"),
        (lambda v: v.update(body=["only one"]), "1 values of body"),
    ],
)
def test_a_call_missing_a_default_or_a_value_is_refused(ctx, change, problem):
    the_school = school()
    values = _values(the_school.id, 3)
    change(values)
    with pytest.raises(ValueError, match=problem):
        insert_many(Message.__table__, values, rows=3)
    assert db.session.scalar(select(func.count(Message.id))) == 0
