"""GOV.UK Notify with real processes: `parentlink dispatch` processes against the local
Notify-compatible server, killed with SIGKILL mid-batch, and Notify's callbacks over HTTP.

Done when (issue 19): a campaign sends, chases and receives receipts and replies entirely
through Notify, and a SIGKILL mid-batch sends nothing twice.
"""

from __future__ import annotations

import signal
import subprocess
import time
from collections import Counter
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from parentlink.campaigns.chase import chase_all
from parentlink.campaigns.models import Invitation, InvitationStatus
from parentlink.db import db
from parentlink.directory.models import Channel, Contact
from parentlink.messaging.models import (
    DeliveryEvent,
    InboundKeyword,
    InboundMessage,
    Message,
    MessageKind,
    MessageStatus,
)
from parentlink.schools.terms import seed_standard_english_year
from tests.builders import family_row, launched
from tests.messaging.processes import (
    COMMAND,
    notify_dispatcher_env,
    sending_any_time,
    start_dispatcher,
)


@pytest.fixture
def app_config(notify_server) -> dict:
    return {**notify_server.app_config(), "SMS_PER_SECOND": 0, "EMAIL_PER_SECOND": 0}


def _wait_for(predicate, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.01)


def _families(n: int) -> list[dict[str, str]]:
    # every third family prefers email: both channels go through Notify
    return [
        family_row(f"P{i}", f"C{i}", preferred_channel="email" if i % 3 == 0 else "sms")
        for i in range(1, n + 1)
    ]


def _per_reference(notify_server) -> Counter:
    return Counter(n["reference"] for n in notify_server.notifications)


def test_a_dispatcher_killed_mid_batch_sends_nothing_twice_through_notify(
    app, database_url, notify_server
):
    with app.app_context():
        launched(_families(30))
        sending_any_time()
    env = notify_dispatcher_env(
        database_url,
        notify_server,
        DISPATCH_BATCH_SIZE=10,
        DISPATCH_THREADS=2,
        DISPATCH_LEASE_SECONDS=2,
    )
    notify_server.accept_delay = 0.05
    first = start_dispatcher(env)
    _wait_for(lambda: len(notify_server.notifications) >= 15)
    first.send_signal(signal.SIGKILL)
    first.communicate(timeout=10)
    assert first.returncode == -signal.SIGKILL
    time.sleep(0.5)
    assert 0 < len(notify_server.notifications) < 30
    with app.app_context():
        stuck = db.session.scalars(
            select(Message).where(Message.status == MessageStatus.SENDING)
        ).all()
        assert stuck, "the kill should leave messages claimed but not recorded"
        db.session.rollback()
    time.sleep(2)  # their lease expires
    notify_server.accept_delay = 0
    second = subprocess.run(COMMAND, env=env, capture_output=True, text=True, timeout=120)  # noqa: S603
    assert second.returncode == 0, second.stderr

    per_reference = _per_reference(notify_server)
    assert len(per_reference) == 30 and set(per_reference.values()) == {1}, "sent twice"
    with app.app_context():
        messages = db.session.scalars(select(Message).order_by(Message.id)).all()
        assert {m.status for m in messages} == {MessageStatus.SENT}
        ids = {n["reference"]: n["id"] for n in notify_server.notifications}
        assert all(m.provider_id == ids[f"parentlink-{m.id}"] for m in messages)
        assert all(m.link_token is None for m in messages)
        reconciled = db.session.scalars(
            select(DeliveryEvent).where(DeliveryEvent.source == "reconcile")
        ).all()
        found = [e for e in reconciled if e.status == "sent"]
        # each message Notify took before the kill but the database did not record was
        # found by its reference rather than sent again
        assert len(found) >= 1
        assert len(found) + len([e for e in reconciled if e.status == "requeued"]) == len(stuck)
        assert set(db.session.scalars(select(Invitation.status))) == {InvitationStatus.SENT}


def test_a_campaign_sends_chases_and_hears_back_entirely_through_notify(
    app, clock, database_url, notify_server, live_app
):
    """Launch → dispatch (killed mid-batch, restarted) → receipts → replies → chase →
    reminders: every message through Notify, none twice."""
    clock.set(datetime(2026, 9, 14, 8, 0, tzinfo=UTC))  # Monday: launch day
    base = live_app.config["PUBLIC_URL"]
    notify_server.callback_url = f"{base}/webhooks/notify/status"
    notify_server.inbound_url = f"{base}/webhooks/notify/inbound"
    with app.app_context():
        summary = launched(_families(24), days_open=60)
        seed_standard_english_year(summary.campaign.school_id, 2026)
        sending_any_time()
    env = notify_dispatcher_env(
        database_url,
        notify_server,
        DISPATCH_BATCH_SIZE=6,
        DISPATCH_THREADS=2,
        DISPATCH_LEASE_SECONDS=2,
    )
    # 1. The invitations: a dispatcher dies mid-batch; the next finishes without repeats.
    notify_server.accept_delay = 0.05
    first = start_dispatcher(env)
    _wait_for(lambda: len(notify_server.notifications) >= 10)
    first.send_signal(signal.SIGKILL)
    first.communicate(timeout=10)
    time.sleep(2.5)  # in-flight requests land; leases expire
    notify_server.accept_delay = 0
    _dispatch(env)
    invitations = list(notify_server.notifications)
    assert len(invitations) == 24 and set(_per_reference(notify_server).values()) == {1}
    kinds = Counter(n["type"] for n in invitations)
    assert kinds == {"sms": 16, "email": 8}

    # 2. Receipts: most delivered; one number is wrong, one phone is off.
    sms = [n for n in invitations if n["type"] == "sms"]
    wrong, off = sms[0], sms[1]
    for n in invitations:
        notify_server.post_status(n["id"], "sending")
    for n in invitations[2:]:
        assert notify_server.post_status(n["id"], "delivered") == 204
    assert notify_server.post_status(wrong["id"], "permanent-failure") == 204
    assert notify_server.post_status(off["id"], "temporary-failure") == 204
    _dispatch(env)  # the wrong number's invitation goes again by email, once
    fallback = notify_server.notifications[24:]
    assert [n["type"] for n in fallback] == ["email"]
    notify_server.post_status(fallback[0]["id"], "delivered")

    # 3. Replies: one parent texts STOP, another asks a question.
    stopper, asker = sms[2], sms[3]
    assert notify_server.post_inbound(stopper["phone_number"].lstrip("+"), "STOP") == 204
    assert notify_server.post_inbound(asker["phone_number"].lstrip("+"), "Can I ring?") == 204

    # 4. Three school days later the chase reminds everyone who has not answered.
    clock.set(datetime(2026, 9, 17, 9, 5, tzinfo=UTC))
    with app.app_context():
        counts = chase_all()
        db.session.commit()
        assert counts.reminded > 0
    before = len(notify_server.notifications)
    _dispatch(env)
    reminders = notify_server.notifications[before:]
    assert len(reminders) == counts.messages
    assert stopper["phone_number"] not in {n["phone_number"] for n in reminders}
    for n in reminders:
        notify_server.post_status(n["id"], "delivered")

    with app.app_context():
        assert set(_per_reference(notify_server).values()) == {1}, "a message went twice"
        messages = db.session.scalars(select(Message).order_by(Message.id)).all()
        assert len(messages) == len(notify_server.notifications)
        by_id = {m.id: m for m in messages}
        for n in notify_server.notifications:
            assert by_id[int(n["reference"].removeprefix("parentlink-"))].provider_id == n["id"]
        statuses = Counter(m.status for m in messages)
        assert statuses[MessageStatus.FAILED] == 1 and statuses[MessageStatus.UNDELIVERED] == 1
        assert statuses[MessageStatus.DELIVERED] == len(messages) - 2
        failed = next(m for m in messages if m.status is MessageStatus.FAILED)
        assert db.session.get(Contact, failed.contact_id).details_flagged_at is not None
        undelivered = next(m for m in messages if m.status is MessageStatus.UNDELIVERED)
        assert db.session.get(Contact, undelivered.contact_id).details_flagged_at is None
        inbox = db.session.scalars(select(InboundMessage).order_by(InboundMessage.id)).all()
        assert [i.keyword for i in inbox] == [InboundKeyword.STOP, None]
        assert inbox[1].body == "Can I ring?" and inbox[1].contact_id is not None
        assert db.session.get(Contact, inbox[0].contact_id).sms_opted_out
        stopped_reminders = db.session.scalars(
            select(Message).where(
                Message.contact_id == inbox[0].contact_id, Message.kind == MessageKind.REMINDER_1
            )
        ).all()
        assert [m.channel for m in stopped_reminders] == [Channel.EMAIL]


def _dispatch(env: dict) -> None:
    done = subprocess.run(COMMAND, env=env, capture_output=True, text=True, timeout=120)  # noqa: S603
    assert done.returncode == 0, done.stderr
