"""How fast messages leave: a token bucket per channel, and backoff between attempts."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from datetime import timedelta


class TokenBucket:
    """`rate` messages per second on average, bursts of at most `burst`; thread-safe.

    `take()` blocks until a token is free. The default burst is a quarter of a second's
    worth, which covers the pauses between batches (while results are recorded) without
    letting the average drift. A rate of 0 (or less) means no limit. The bucket
    lives in one process: with N dispatcher processes, give each rate / N.
    """

    def __init__(
        self,
        rate: float,
        burst: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.rate = float(rate)
        self.burst = float(burst if burst is not None else max(1.0, self.rate / 4))
        self._clock = clock
        self._sleep = sleep
        self._tokens = self.burst
        self._stamp = clock()
        self._lock = threading.Lock()

    def take(self) -> None:
        if self.rate <= 0:
            return
        with self._lock:
            at = self._clock()
            self._tokens = min(self.burst, self._tokens + (at - self._stamp) * self.rate)
            self._stamp = at
            self._tokens -= 1  # reserve now; a deficit is the wait, in order of arrival
            wait = -self._tokens / self.rate if self._tokens < 0 else 0.0
        if wait > 0:
            self._sleep(wait)


def backoff(attempts: int, base_seconds: float, cap_seconds: float) -> timedelta:
    """Exponential backoff with "full jitter" after `attempts` failed attempts: a random
    delay between half and all of min(cap, base * 2^(attempts-1)), so that retries after
    an outage do not all come back at the same moment."""
    ceiling = min(cap_seconds, base_seconds * 2 ** max(attempts - 1, 0))
    return timedelta(seconds=ceiling * random.uniform(0.5, 1.0))  # noqa: S311 - not secret
