"""A PostgreSQL database of a test's own, on the server of PARENTLINK_TEST_DATABASE_URL (or
the local one on 127.0.0.1:5432 during the SQLite run), dropped afterwards."""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, make_url, text

LOCAL_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


@contextmanager
def fresh_database(purpose: str) -> Iterator[str]:
    base = make_url(os.environ.get("PARENTLINK_TEST_DATABASE_URL") or LOCAL_SERVER)
    name = f"{base.database}_{purpose}_{secrets.token_hex(3)}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def terminate_connections(url: str) -> int:
    """pg_terminate_backend for every connection to that database but our own; returns once
    those sessions have ended (the server has told their clients and closed the sockets), as
    after a restart, rather than while they are still ending."""
    engine = create_engine(make_url(url), isolation_level="AUTOCOMMIT")
    others = "datname = current_database() AND pid <> pg_backend_pid()"
    with engine.connect() as connection:
        ended = connection.execute(
            text(f"SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE {others}")
        ).scalar_one()
        deadline = time.monotonic() + 10
        while (
            time.monotonic() < deadline
            and connection.execute(
                text(f"SELECT count(*) FROM pg_stat_activity WHERE {others}")
            ).scalar_one()
        ):
            time.sleep(0.01)
    engine.dispose()
    return ended
