"""How fast messages leave: a token bucket per channel, and backoff between attempts.

The bucket is a row in the database, so the "messages per second" of a channel holds
across every dispatcher process together, not per process.
"""

from __future__ import annotations

import random
import threading
import time
from collections import deque
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import Engine, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from parentlink.messaging.models import RateBucket

# One statement refills the row for the time since it was last used (up to the burst),
# takes :n tokens and says what is left; a negative balance is tokens reserved ahead of
# time, each due when the refill catches up with it. GREATEST/LEAST are spelt as CASE,
# which both databases read.
_RESERVE = """
UPDATE rate_bucket SET
  tokens = CASE
      WHEN tokens + (CASE WHEN {now} > stamp THEN {now} - stamp ELSE 0 END) * :rate * factor
           > :burst * factor
      THEN :burst * factor
      ELSE tokens + (CASE WHEN {now} > stamp THEN {now} - stamp ELSE 0 END) * :rate * factor
    END - :n,
  stamp = CASE WHEN {now} > stamp THEN {now} ELSE stamp END,
  factor = CASE WHEN factor + :n * :recover > 1 THEN 1 ELSE factor + :n * :recover END
WHERE key = :key
RETURNING tokens, factor
"""
# A 429: take a share off the rate, never below FLOOR of it, and drop the tokens saved up.
_SLOW_DOWN = """
UPDATE rate_bucket SET
  factor = CASE WHEN factor * :cut < :floor THEN :floor ELSE factor * :cut END,
  tokens = CASE WHEN tokens > 0 THEN 0 ELSE tokens END
WHERE key = :key
"""
CUT = 0.85  # each 429 (at most one a second per process) takes 15% off the rate in use
RECOVER = 0.0005  # each token taken gives back 0.05% of the configured rate
FLOOR = 0.02
SLOW_DOWN_COOLDOWN = 1.0  # seconds: the 429s of one burst count once
# The database's clock on PostgreSQL: dispatchers on several hosts then agree on the time.
_PG_NOW = "CAST(EXTRACT(EPOCH FROM clock_timestamp()) AS DOUBLE PRECISION)"


class SharedTokenBucket:
    """`rate` tokens per second for all the processes that share the database, bursts of
    at most `burst` (a quarter of a second's worth by default); thread-safe.

    A process reserves tokens `chunk` at a time (a tenth of a second's worth) with one
    UPDATE of the channel's `rate_bucket` row, then hands them to its threads at the
    moments they fall due. So the round trips are few (10 a second per busy process),
    the row is locked only for that one statement, and the processes together never
    take more than the rate: each reservation is counted against the same row, in the
    order they reach it. Tokens a process reserved but did not use (its work ran out)
    are lost, which can only slow sending, never speed it up.

    The rate adapts (additive increase, multiplicative decrease, shared like the tokens):
    when the provider answers 429 the dispatcher calls `slow_down()`, which cuts the share
    of the configured rate in use (`factor`) by 15% and drops the tokens saved up; every
    token taken afterwards gives a little of it back, so after the provider's limit is found
    the rate hovers just under it and returns to the configured one once the limit goes.

    `clock` gives the shared time in seconds; by default the database's on PostgreSQL and
    the wall clock elsewhere (SQLite: one host). Waiting uses `monotonic` and `sleep`.
    """

    def __init__(
        self,
        engine: Engine,
        key: str,
        rate: float,
        burst: float | None = None,
        chunk: int | None = None,
        clock: Callable[[], float] | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.engine = engine
        self.key = key
        self.rate = float(rate)
        self.burst = float(burst if burst is not None else max(1.0, self.rate / 4))
        self.chunk = int(chunk or max(1, min(self.burst, self.rate / 10)))
        self._clock = clock
        self._monotonic = monotonic
        self._sleep = sleep
        self._due: deque[float] = deque()  # when each reserved token may be used
        self._lock = threading.Lock()
        self._slowed_at = float("-inf")
        self.factor = 1.0  # as last read from the row
        on_postgres = engine.dialect.name == "postgresql" and clock is None
        self._reserve_sql = text(_RESERVE.format(now=_PG_NOW if on_postgres else ":now"))

    def take(self) -> None:
        if self.rate <= 0:
            return
        with self._lock:
            if not self._due:
                self._reserve()
            due = self._due.popleft()
        delay = due - self._monotonic()
        if delay > 0:
            self._sleep(delay)

    def _reserve(self) -> None:
        params = {
            "key": self.key,
            "rate": self.rate,
            "burst": self.burst,
            "n": self.chunk,
            "recover": RECOVER,
        }
        if self._clock is not None or self.engine.dialect.name != "postgresql":
            params["now"] = (self._clock or time.time)()
        with self.engine.begin() as connection:
            row = connection.execute(self._reserve_sql, params).first()
            if row is None:  # the first use of this channel's bucket: make its row
                self._create_row(connection, params.get("now"))
                row = connection.execute(self._reserve_sql, params).first()
        left, self.factor = row
        rate = self.rate * self.factor
        base = self._monotonic()
        had = left + self.chunk  # tokens there were before this reservation
        for i in range(1, self.chunk + 1):
            self._due.append(base + max(0.0, (i - had) / rate))

    def slow_down(self) -> None:
        """The provider answered 429: cut the shared rate (once per burst of refusals)."""
        if self.rate <= 0:
            return
        with self._lock:
            at = self._monotonic()
            if at - self._slowed_at < SLOW_DOWN_COOLDOWN:
                return
            self._slowed_at = at
            self._due.clear()  # reserved at the old pace: reserve again at the new one
        with self.engine.begin() as connection:
            connection.execute(text(_SLOW_DOWN), {"key": self.key, "cut": CUT, "floor": FLOOR})

    def _create_row(self, connection, at: float | None) -> None:
        if at is None:
            at = connection.execute(text(f"SELECT {_PG_NOW}")).scalar()
        insert = pg_insert if connection.dialect.name == "postgresql" else sqlite_insert
        connection.execute(
            insert(RateBucket)
            .values(key=self.key, tokens=self.burst, stamp=at)
            .on_conflict_do_nothing(index_elements=["key"])
        )


def backoff(attempts: int, base_seconds: float, cap_seconds: float) -> timedelta:
    """Exponential backoff with "full jitter" after `attempts` failed attempts: a random
    delay between half and all of min(cap, base * 2^(attempts-1)), so that retries after
    an outage do not all come back at the same moment."""
    ceiling = min(cap_seconds, base_seconds * 2 ** max(attempts - 1, 0))
    return timedelta(seconds=ceiling * random.uniform(0.5, 1.0))  # noqa: S311 - not secret
