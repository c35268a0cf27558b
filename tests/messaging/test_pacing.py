"""The shared token bucket on a clock the test moves (no timed tests), and the backoff.

The bucket is a row in the test database; two buckets on the same row stand for two
dispatcher processes. The real processes are in test_crash_safety.py."""

from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import select

from parentlink.db import db
from parentlink.messaging.models import RateBucket
from parentlink.messaging.pacing import SharedTokenBucket, backoff


class FakeTime:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def _bucket(fake: FakeTime, rate: float, **options) -> SharedTokenBucket:
    return SharedTokenBucket(
        db.engine, "sms", rate, clock=fake.clock, monotonic=fake.clock, sleep=fake.sleep, **options
    )


def test_the_bucket_keeps_to_its_rate_after_a_small_burst(ctx):
    fake = FakeTime()
    start = fake.now
    bucket = _bucket(fake, 50, burst=5, chunk=5)
    for _ in range(5):
        bucket.take()
    assert fake.now == start  # the burst goes at once
    for _ in range(500):
        bucket.take()
    assert abs(fake.now - start - 10.0) < 1e-6  # then 50 a second exactly


def test_two_processes_on_one_row_share_the_rate_instead_of_doubling_it(ctx):
    fake = FakeTime()
    start = fake.now
    first = _bucket(fake, 40, burst=4)
    second = _bucket(fake, 40, burst=4)
    assert first.chunk == 4
    for _ in range(200):  # taking turns, as two busy dispatchers do
        first.take()
        second.take()
    # 400 tokens at 40 a second, less the first burst: 9.9 s, not the 4.9 s of two buckets
    assert abs(fake.now - start - (400 - 4) / 40) < 1e-6
    assert db.session.scalar(select(RateBucket.key)) == "sms"


def test_an_idle_bucket_refills_only_up_to_its_burst(ctx):
    fake = FakeTime()
    bucket = _bucket(fake, 10, burst=2, chunk=1)
    bucket.take()
    fake.now += 3600.0
    start = fake.now
    for _ in range(12):
        bucket.take()
    assert abs(fake.now - start - 1.0) < 1e-6


def test_a_rate_of_zero_means_no_limit_and_no_database(ctx):
    fake = FakeTime()
    start = fake.now
    bucket = _bucket(fake, 0)
    for _ in range(10_000):
        bucket.take()
    assert fake.now == start
    assert db.session.scalar(select(RateBucket.key)) is None


def test_backoff_doubles_up_to_the_cap_with_jitter():
    random.seed(4)
    for attempts, ceiling in [(1, 30), (2, 60), (3, 120), (7, 1920), (8, 3600), (20, 3600)]:
        delays = [backoff(attempts, 30, 3600) for _ in range(200)]
        assert all(
            timedelta(seconds=ceiling / 2) <= d <= timedelta(seconds=ceiling) for d in delays
        )
        assert len(set(delays)) > 150  # spread out, so retries do not come back together


def test_a_429_slows_every_process_then_the_rate_recovers(ctx):
    """The provider refuses (429): the shared rate drops by 15% for both processes; every
    token taken gives a little back, so the configured rate returns once the refusals stop."""
    fake = FakeTime()
    first = _bucket(fake, 100, burst=1, chunk=10)
    second = _bucket(fake, 100, burst=1, chunk=10)
    for _ in range(100):
        first.take()
    first.slow_down()
    first.slow_down()  # the same burst of refusals: counted once
    assert db.session.scalar(select(RateBucket.factor)) == 0.85
    start = fake.now
    for _ in range(100):
        second.take()
    slowed = fake.now - start
    assert 100 / slowed < 95, "the other process did not slow down"
    for _ in range(3000):  # no more refusals: back to the configured rate
        second.take()
    assert db.session.scalar(select(RateBucket.factor)) == 1.0
    start = fake.now
    for _ in range(100):
        first.take()
    assert abs(100 / (fake.now - start) - 100) < 1


def test_a_twilio_429_slows_the_dispatcher(app, twilio_server):
    """Through the real gateway: the local Twilio-compatible server answers 429, and the
    channel's shared rate is cut."""
    from parentlink.messaging.dispatcher import dispatch_pending
    from tests.builders import family_row, launched

    app.config.update(twilio_server.app_config(), SMS_PER_SECOND=50)
    twilio_server.fail_next(429, 20429, "Too Many Requests")
    with app.app_context():
        launched([family_row("P1", "C1")])
        assert dispatch_pending().retrying == 1
        assert db.session.scalar(select(RateBucket.factor)) == 0.85
