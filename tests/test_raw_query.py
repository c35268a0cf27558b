"""parentlink/core/raw_query.py runs a Core SELECT on a bare pooled connection: its rows must
be what SQLAlchemy itself returns (aware UTC datetimes, Enums, booleans, NULLs), on SQLite
and on PostgreSQL alike."""

from __future__ import annotations

from datetime import UTC

from sqlalchemy import func, select, update

from parentlink.campaigns.models import Invitation, InvitationStatus
from parentlink.core.raw_query import RawQuery
from parentlink.core.tokens import hash_token
from parentlink.db import db
from parentlink.directory.models import Contact
from tests.parents.family import separated_parents


def test_rows_are_the_ones_core_returns(app):
    token, _ = separated_parents(app)
    with app.app_context():
        from parentlink.parents.queries import _statement

        statement = _statement("token_hash").statement
        core = db.session.execute(statement, {"value": hash_token(token)}).all()
        raw = RawQuery(statement).all(db.engine, value=hash_token(token))
    assert len(core) == 2  # two children
    assert raw == [tuple(row) for row in core]
    first = raw[0]
    assert first[1] is InvitationStatus.CREATED
    assert first[2] is False  # not opened yet: a boolean, not 0
    assert first[3].tzinfo is UTC  # closes_at, aware
    assert {row[-3] for row in raw} == {"Amelia", "Oscar"}  # first names (class, surname)


def test_nothing_found_is_an_empty_list_and_the_pool_is_not_drained(app):
    separated_parents(app)
    query = RawQuery(select(func.count(Invitation.id)).where(Invitation.token_hash == "none"))
    with app.app_context():
        for _ in range(30):  # more than the pool holds: each read gives its connection back
            assert query.all(db.engine) == [(0,)]
        missing = RawQuery(select(Invitation.id).where(Invitation.token_hash == "none"))
        assert missing.all(db.engine) == []


def test_connections_go_back_to_the_pool_as_they_came(app):
    """A read switches PostgreSQL's autocommit on for itself only: the ORM's next
    transaction on the same pooled connection still rolls back."""
    separated_parents(app)
    query = RawQuery(select(func.count(Invitation.id)))
    with app.app_context():
        for _ in range(10):
            assert query.all(db.engine) == [(2,)]
        db.session.execute(update(Contact).values(first_name="Changed"))
        changed = select(func.count(Contact.id)).where(Contact.first_name == "Changed")
        assert db.session.scalar(changed) == 3
        db.session.rollback()
        assert RawQuery(changed).all(db.engine) == [(0,)]


def test_a_connection_the_database_dropped_is_replaced(app):
    """A pooled connection that dies while idle in the pool (a database restart, an idle
    timeout) is found dead by the check on checkout when a raw read checks it out, and replaced:
    no read fails, and none keeps a connection out."""
    separated_parents(app)
    query = RawQuery(select(func.count(Invitation.id)))
    with app.app_context():
        pool = db.engine.pool
        assert query.all(db.engine) == [(2,)]
        pooled = db.engine.raw_connection()
        driver = pooled.dbapi_connection
        pooled.close()  # back to the pool, open
        driver.close()  # then gone while it waits there
        failed = 0
        for _ in range(pool.size() + 2):
            try:
                assert query.all(db.engine) == [(2,)]
            except db.engine.dialect.loaded_dbapi.Error:
                failed += 1
        assert failed == 0
        assert query.all(db.engine) == [(2,)]
        assert pool.checkedout() == 0  # none kept out by the failure
