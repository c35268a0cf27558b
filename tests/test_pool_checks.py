"""Pooled connections are checked before use without a round trip per transaction: one used
a moment ago goes straight to work; one the server ended (a restart, a terminated session)
or one idle for long is pinged first, and a dead one is replaced, so no request fails.
These run on PostgreSQL (a database of their own), whichever database the suite uses."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from parentlink import create_app
from parentlink import db as db_module
from parentlink.db import db
from tests.system.postgres import fresh_database, terminate_connections

pytestmark = pytest.mark.own_postgres


@pytest.fixture(scope="module")
def pg_url():
    with fresh_database("pool") as url:
        yield url


@pytest.fixture
def engine(pg_url, monkeypatch):
    app = create_app(
        {
            "ENV_NAME": "test",
            "SECRET_KEY": "test-secret-key-test-secret-key-0123",
            "SQLALCHEMY_DATABASE_URI": pg_url,
        }
    )
    with app.app_context():
        engine = db.engine
        pings = []
        ping = engine.dialect.do_ping

        def counted(dbapi_connection):
            pings.append(dbapi_connection)
            return ping(dbapi_connection)

        monkeypatch.setattr(engine.dialect, "do_ping", counted)
        engine.pings = pings
        yield engine
        engine.dispose()


def _backend(engine) -> int:
    with engine.connect() as connection:
        return connection.execute(text("SELECT pg_backend_pid()")).scalar_one()


def test_a_connection_used_a_moment_ago_is_not_pinged(engine):
    first = _backend(engine)  # a new connection: not pinged either
    assert _backend(engine) == first and _backend(engine) == first
    assert engine.pings == []


def test_a_connection_idle_for_long_is_pinged_and_kept(engine, monkeypatch):
    first = _backend(engine)
    monkeypatch.setattr(db_module, "PING_AFTER_IDLE_SECONDS", 0.0)
    assert _backend(engine) == first
    assert len(engine.pings) == 1


def test_a_connection_the_server_ended_is_pinged_and_replaced(engine, pg_url):
    first = _backend(engine)
    assert terminate_connections(pg_url) == 1
    assert _backend(engine) != first  # no error: the ping found it dead, a new one took over
    assert len(engine.pings) == 1
    assert _backend(engine) and len(engine.pings) == 1  # the new one is not pinged again


def test_a_connection_closed_while_pooled_is_replaced(engine):
    first = _backend(engine)
    pooled = engine.raw_connection()
    driver = pooled.dbapi_connection
    pooled.close()  # back to the pool, open
    driver.close()  # then gone while it waits there
    assert _backend(engine) != first
