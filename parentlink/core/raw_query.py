"""A Core SELECT run straight on a pooled DBAPI connection, for the few reads on a hot path
where SQLAlchemy's per-execution work (session, transaction bookkeeping, result objects)
costs more than the database does.

The statement is still written with SQLAlchemy Core and compiled by SQLAlchemy, once per
dialect; each column's value goes through that column type's own result processor, so rows
hold what Core would return (aware datetimes, Enums, booleans). Parameters are passed as
they are (no bind processors): give it plain strings and integers only. Values written in
the statement (`column == "x"`) are bound as compiled.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.sql import Select


class RawQuery:
    def __init__(self, statement: Select) -> None:
        self.statement = statement
        self._compiled: dict[
            tuple, tuple[str, Sequence[str] | None, dict, list[tuple[int, Callable]]]
        ] = {}

    def _for(
        self, dialect: Dialect
    ) -> tuple[str, Sequence[str] | None, dict, list[tuple[int, Callable]]]:
        key = (type(dialect), dialect.paramstyle)
        found = self._compiled.get(key)
        if found is None:
            compiled = self.statement.compile(dialect=dialect)
            processors = [
                (index, process)
                for index, column in enumerate(self.statement.selected_columns)
                if (process := column.type.dialect_impl(dialect).result_processor(dialect, None))
            ]
            found = (compiled.string, compiled.positiontup, compiled.params, processors)
            self._compiled[key] = found
        return found

    def all(self, engine: Engine, **params: str | int) -> list[tuple[Any, ...]]:
        """Every row, read in a transaction of its own (not the ORM session's)."""
        sql, positions, defaults, processors = self._for(engine.dialect)
        values = {**defaults, **params} if defaults else params
        bound: Sequence | dict = values if positions is None else [values[k] for k in positions]
        connection = engine.raw_connection()
        driver = connection.dbapi_connection
        # One statement is its own transaction: on PostgreSQL, autocommit spares the BEGIN
        # and COMMIT round trips (3 -> 1). SQLite (pysqlite) opens none for a SELECT.
        autocommit = engine.dialect.name == "postgresql"
        try:
            if autocommit:
                driver.autocommit = True
            cursor = connection.cursor()
            try:
                cursor.execute(sql, bound)
                rows = cursor.fetchall()
            finally:
                cursor.close()
        finally:
            try:
                if autocommit:
                    driver.autocommit = False
            finally:
                # back to the pool, whose reset throws away a connection that died
                connection.close()
        if not processors:
            return rows
        converted = []
        for row in rows:
            values = list(row)
            for index, process in processors:
                values[index] = process(values[index])
            converted.append(tuple(values))
        return converted
