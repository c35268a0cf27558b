"""Who runs the scheduled jobs: a lease in the database, and a fence on every commit.

One row of `job_lease` names the leader (host and pid), a lease expiry on the database's
own clock, and an `epoch` that goes up at every change of leader. The leader renews the
lease every few seconds; a standby takes it over only once it has expired (the leader
died, froze, or could not reach the database for a whole lease).

The lease alone cannot stop a leader that froze for longer than its lease and then woke
up in the middle of a job. So every commit a job run makes is fenced: just before the
commit, in the same transaction, the row is read `FOR SHARE` and must still name this
process with the epoch it took over with. A takeover is an UPDATE of that row, so it
waits for a fenced commit in flight and every later fenced commit of the old leader
fails: no two processes ever commit a job's work at the same time, whatever happens to
processes and connections. Times are the database's (`clock_timestamp()` on
PostgreSQL), so hosts whose clocks differ still agree.
"""

from __future__ import annotations

import contextvars
import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import Engine, Float, Integer, String, event, text
from sqlalchemy.orm import Mapped, Session, mapped_column

from parentlink.db import db

LEADER = "jobs"


class JobLease(db.Model):
    __tablename__ = "job_lease"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))  # "host:pid:nonce"
    epoch: Mapped[int] = mapped_column(Integer)
    expires_at: Mapped[float] = mapped_column(Float)  # seconds since the epoch, DB clock
    acquired_at: Mapped[float] = mapped_column(Float)


class NotLeader(RuntimeError):
    """This process no longer holds the lease: its work must not be committed."""


@dataclass(frozen=True)
class Lease:
    holder: str
    epoch: int
    previous_holder: str | None  # who had it before (None: nobody, or ourselves)


def holder_name() -> str:
    """This process, unique even when a pid is reused: host, pid and a random nonce."""
    return f"{socket.gethostname()[:120]}:{os.getpid()}:{os.urandom(4).hex()}"


def _now_sql(engine: Engine) -> str:
    if engine.dialect.name == "postgresql":
        return "CAST(EXTRACT(EPOCH FROM clock_timestamp()) AS DOUBLE PRECISION)"
    return ":wall"


def _sql(template: str, now: str):
    """A statement with the clock expression put in ({now}: our own constant, not input)."""
    return text(template.replace("{now}", now))


def _params(engine: Engine, **params) -> dict:
    if engine.dialect.name != "postgresql":
        params["wall"] = time.time()
    return params


def try_acquire(engine: Engine, holder: str, seconds: float) -> Lease | None:
    """Take the lease if nobody holds it or it has expired; None if someone else holds it."""
    now = _now_sql(engine)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO job_lease (name, holder, epoch, expires_at, acquired_at) "
                "VALUES (:name, '', 0, 0, 0) ON CONFLICT (name) DO NOTHING"
            ),
            {"name": LEADER},
        )
        row = connection.execute(
            text("SELECT holder, expires_at FROM job_lease WHERE name = :name FOR UPDATE")
            if engine.dialect.name == "postgresql"
            else text("SELECT holder, expires_at FROM job_lease WHERE name = :name"),
            {"name": LEADER},
        ).one()
        epoch = connection.execute(
            _sql(
                "UPDATE job_lease SET holder = :holder, epoch = epoch + 1, "
                "expires_at = {now} + :seconds, acquired_at = {now} "
                "WHERE name = :name AND (expires_at < {now} OR holder = '') RETURNING epoch",
                now,
            ),
            _params(engine, name=LEADER, holder=holder, seconds=seconds),
        ).scalar()
    if epoch is None:
        return None
    return Lease(holder, epoch, row.holder or None)


def renew(engine: Engine, lease: Lease, seconds: float) -> bool:
    """Extend our lease; False if it is no longer ours (expired and taken over)."""
    now = _now_sql(engine)
    with engine.begin() as connection:
        renewed = connection.execute(
            _sql(
                "UPDATE job_lease SET expires_at = {now} + :seconds "
                "WHERE name = :name AND holder = :holder AND epoch = :epoch "
                "AND expires_at >= {now}",
                now,
            ),
            _params(engine, name=LEADER, holder=lease.holder, epoch=lease.epoch, seconds=seconds),
        )
        return renewed.rowcount == 1


def release(engine: Engine, lease: Lease) -> None:
    """Let go at once (a clean stop), so a standby need not wait for the expiry."""
    with engine.begin() as connection:
        connection.execute(
            text(
                "UPDATE job_lease SET expires_at = 0 "
                "WHERE name = :name AND holder = :holder AND epoch = :epoch"
            ),
            {"name": LEADER, "holder": lease.holder, "epoch": lease.epoch},
        )


def current_holder(engine: Engine) -> tuple[str, float] | None:
    """(holder, seconds left) of the lease as it stands, for the standby's log line."""
    now = _now_sql(engine)
    with engine.connect() as connection:
        row = connection.execute(
            _sql(
                "SELECT holder, expires_at - {now} AS left FROM job_lease WHERE name = :name", now
            ),
            _params(engine, name=LEADER),
        ).first()
    return (row.holder, row.left) if row and row.holder else None


# -- the fence --------------------------------------------------------------------------------

_fence: contextvars.ContextVar[Lease | None] = contextvars.ContextVar("job_fence", default=None)


@contextmanager
def fenced(lease: Lease | None) -> Iterator[None]:
    """Every commit of the session made inside this block checks the lease first."""
    token = _fence.set(lease)
    try:
        yield
    finally:
        _fence.reset(token)


def check_fence(session: Session, lease: Lease) -> None:
    """In the committing transaction: the lease is still ours (and stays so until the
    commit, since the row is held FOR SHARE); else NotLeader."""
    bind = session.get_bind()
    now = _now_sql(bind)
    template = "SELECT 1 FROM job_lease WHERE name = :name AND holder = :holder "
    template += "AND epoch = :epoch AND expires_at >= {now}"
    if bind.dialect.name == "postgresql":
        template += " FOR SHARE"
    ours = session.execute(
        _sql(template, now),
        _params(bind, name=LEADER, holder=lease.holder, epoch=lease.epoch),
    ).first()
    if ours is None:
        raise NotLeader(f"the jobs lease (epoch {lease.epoch}) is no longer held by this process")


@event.listens_for(Session, "before_commit")
def _fence_commit(session: Session) -> None:
    lease = _fence.get()
    if lease is not None:
        check_fence(session, lease)
