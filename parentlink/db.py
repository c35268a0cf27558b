"""The database: base model, UTC datetimes, and the one-transaction-per-request rule.

Domain code flushes, never commits. A request is committed by `after_request` when it
ends with a status below 500 and rolled back otherwise; a job run is committed by
`transaction()`, the only other place that commits.
"""

from __future__ import annotations

import enum
import select
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from itertools import repeat

from flask import Flask, Response
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import DateTime, MetaData, Table, event, inspect
from sqlalchemy import Enum as SAEnum
from sqlalchemy.engine import Engine
from sqlalchemy.exc import (
    DBAPIError,
    InvalidatePoolError,
    OperationalError,
    ProgrammingError,
    SQLAlchemyError,
)
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import DeclarativeBase, registry
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator):
    """Aware UTC datetimes in, aware UTC datetimes out, on SQLite and PostgreSQL alike."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column; use parentlink.core.clock")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    registry = registry(
        metadata=MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={
            datetime: UTCDateTime(),
            # States are stored by value as plain strings: readable in SQL, no native ENUM
            # types to migrate; the allowed values and transitions live on the models.
            enum.Enum: SAEnum(
                enum.Enum,
                native_enum=False,
                create_constraint=False,
                length=32,
                values_callable=lambda members: [m.value for m in members],
                validate_strings=True,
            ),
        },
    )

    def __init__(self, **kwargs: object) -> None:
        """Like SQLAlchemy's constructor, but a new object already has its scalar column
        defaults (so a new row's state is its initial state before any flush)."""
        cls = type(self)
        for column in self.__table__.columns:
            default = column.default
            if column.key not in kwargs and default is not None and default.is_scalar:
                kwargs[column.key] = default.arg
        for key, value in kwargs.items():
            if not hasattr(cls, key):
                raise TypeError(f"{key!r} is an invalid keyword argument for {cls.__name__}")
            setattr(self, key, value)


db = SQLAlchemy(model_class=Base)


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record) -> None:
    module = type(dbapi_connection).__module__
    if module.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.close()


# A pooled connection used this recently is pinged only when its socket has something to
# read: a database that restarts, fails over or ends a session (pg_terminate_backend, an
# idle timeout, PgBouncer) tells the client and closes the socket, and the poll below sees
# that without a round trip. A connection idle longer is pinged whatever the socket says: a
# firewall or NAT that forgets an idle connection does so silently, after minutes.
PING_AFTER_IDLE_SECONDS = 30.0
_USED_AT = "parentlink_used_at"


def check_connections_on_checkout(engine: Engine) -> None:
    """The pool's pre-ping (`pool_pre_ping`, one round trip before every transaction), paid
    only when a connection may have died: idle for long, or its socket readable. A dead one
    invalidates the pool and is replaced, as with pre-ping: a restart costs no request."""
    dialect = engine.dialect

    @event.listens_for(engine, "connect")
    @event.listens_for(engine, "checkin")
    def _used(dbapi_connection, connection_record) -> None:
        connection_record.info[_USED_AT] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _alive(dbapi_connection, connection_record, connection_proxy) -> None:
        used_at = connection_record.info.get(_USED_AT)
        recent = used_at is not None and time.monotonic() - used_at < PING_AFTER_IDLE_SECONDS
        if recent and _nothing_to_read(dbapi_connection):
            return
        try:
            dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as error:
            if dialect.is_disconnect(error, dbapi_connection, None):
                raise InvalidatePoolError(str(error)) from error
            raise


def _nothing_to_read(dbapi_connection) -> bool:
    """True when the connection's socket is open with nothing waiting on it. An idle
    connection is owed nothing by the server, so anything there (the notice of a shutdown
    or a terminated session, the end of the stream) means a ping is needed. A driver
    without a socket (SQLite) is always pinged, as before."""
    try:
        fd = dbapi_connection.fileno()
    except Exception:  # closed, or no socket: let the ping decide
        return False
    if not isinstance(fd, int) or fd < 0 or not hasattr(select, "poll"):
        return False
    poller = select.poll()
    poller.register(fd, select.POLLIN | select.POLLPRI)
    return not poller.poll(0)


@contextmanager
def transaction() -> Iterator[None]:
    """One unit of work outside a request (a job run, a CLI command): commit or roll back."""
    try:
        yield
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise


NO_SCHEMA = "the database has no ParentLink tables yet: run `parentlink db upgrade`"


_DRIVERS = ("sqlite3", "psycopg")


def _driver_error(error: BaseException, *names: str) -> bool:
    """A driver's own exception (raw queries see them unwrapped) of one of the PEP 249 kinds."""
    return any(
        cls.__module__.split(".")[0] in _DRIVERS and cls.__name__ in names
        for cls in type(error).__mro__
    )


def _no_such_table(error: BaseException) -> bool:
    text = str(getattr(error, "orig", None) or error).lower()
    programming = isinstance(error, ProgrammingError) or _driver_error(error, "ProgrammingError")
    return "no such table" in text or (
        programming and "relation" in text and "does not exist" in text
    )


def unavailable(error: BaseException) -> str | None:
    """Why the database cannot serve us now (a one-line reason), or None when the error is
    a fault in our own code. Used for the 503 page, the CLI and the web app's start."""
    if _no_such_table(error):
        return NO_SCHEMA
    if isinstance(error, PoolTimeout):
        return "no free database connection in time"
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return "the connection to the database was lost"
    if isinstance(error, OperationalError) or _driver_error(
        error, "OperationalError", "InterfaceError"
    ):
        cause = getattr(error, "orig", None) or error
        first = (str(cause).strip().splitlines() or [type(cause).__name__])[0]
        return f"the database did not answer: {first[:200]}"
    return None


def schema_missing() -> bool:
    """True when the database answers but has no schema yet (`parentlink db upgrade`)."""
    return not inspect(db.engine).has_table("alembic_version")


def init_request_transaction(app: Flask) -> None:
    @app.after_request
    def _commit(response: Response) -> Response:
        if response.status_code < 500:
            db.session.commit()
        else:
            _quiet_rollback()
        return response

    @app.teardown_request
    def _rollback_on_error(exc: BaseException | None) -> None:
        if exc is not None:
            _quiet_rollback()


def _quiet_rollback() -> None:
    """Roll back; on a connection already lost there is nothing to undo (the server has
    dropped the transaction with it)."""
    try:
        db.session.rollback()
    except SQLAlchemyError:
        db.session.close()


def insert_many(table: Table, values: dict[str, object], rows: int) -> None:
    """`rows` rows into `table` in the session's transaction, through the driver's own
    executemany (what a launch writes: tens of thousands of rows). `values` maps column
    keys to a list or tuple (one value per row) or to any other value (every row's); every
    column with a default is named. SQLAlchemy would convert every value of every row (an
    Enum's, a UTC datetime's); here a column's conversion runs once per distinct value."""
    if not rows:
        return
    unnamed = [c.key for c in table.c if c.default is not None and c.key not in values]
    if unnamed:
        raise ValueError(f"insert_many({table.name}): name {', '.join(unnamed)} too")
    connection = db.session.connection()
    dialect = connection.dialect
    columns = []
    for key, value in values.items():
        each = isinstance(value, list | tuple)
        if each and len(value) != rows:
            raise ValueError(f"insert_many({table.name}): {len(value)} values of {key}")
        convert = table.c[key].type.dialect_impl(dialect).bind_processor(dialect)
        if each:
            columns.append(value if convert is None else _converted(value, convert))
        else:
            columns.append(repeat(value if convert is None else convert(value), rows))
    quote = dialect.identifier_preparer
    marker = {"qmark": "?", "format": "%s", "pyformat": "%s"}[dialect.paramstyle]
    names = ", ".join(quote.quote(table.c[key].name) for key in values)
    connection.exec_driver_sql(
        f"INSERT INTO {quote.format_table(table)} ({names}) "  # noqa: S608 - our own names
        f"VALUES ({', '.join([marker] * len(values))})",
        list(zip(*columns, strict=True)),
    )


def _converted(values: list, convert) -> list:
    """`convert` applied to each value, once per distinct value where the values are
    hashable and of one type (1 and True, equal as keys, never share a conversion)."""
    try:
        if len(set(map(type, values))) == 1:
            done = {value: convert(value) for value in set(values)}
            return list(map(done.__getitem__, values))
    except TypeError:  # unhashable values
        pass
    return list(map(convert, values))
