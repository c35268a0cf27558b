"""The token bucket and the backoff, on a clock the test moves (no timed tests)."""

from __future__ import annotations

import random
from datetime import timedelta

from parentlink.messaging.pacing import TokenBucket, backoff


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_the_bucket_keeps_to_its_rate_after_a_small_burst():
    fake = FakeTime()
    bucket = TokenBucket(50, burst=5, clock=fake.clock, sleep=fake.sleep)
    for _ in range(5):
        bucket.take()
    assert fake.now == 0  # the burst goes at once
    for _ in range(500):
        bucket.take()
    assert abs(fake.now - 10.0) < 1e-6  # then 50 a second exactly


def test_an_idle_bucket_refills_only_up_to_its_burst():
    fake = FakeTime()
    bucket = TokenBucket(10, burst=2, clock=fake.clock, sleep=fake.sleep)
    fake.now = 3600.0
    for _ in range(12):
        bucket.take()
    assert abs(fake.now - 3601.0) < 1e-6


def test_a_rate_of_zero_means_no_limit():
    fake = FakeTime()
    bucket = TokenBucket(0, clock=fake.clock, sleep=fake.sleep)
    for _ in range(10_000):
        bucket.take()
    assert fake.now == 0


def test_backoff_doubles_up_to_the_cap_with_jitter():
    random.seed(4)
    for attempts, ceiling in [(1, 30), (2, 60), (3, 120), (7, 1920), (8, 3600), (20, 3600)]:
        delays = [backoff(attempts, 30, 3600) for _ in range(200)]
        assert all(
            timedelta(seconds=ceiling / 2) <= d <= timedelta(seconds=ceiling) for d in delays
        )
        assert len(set(delays)) > 150  # spread out, so retries do not come back together
