"""Hot reads sent straight to SQLite's driver, their SQL compiled once by SQLAlchemy.

On SQLite, SQLAlchemy's execution of a compiled and cached statement (its execution context,
parameter and result processing) costs more than SQLite's own work for a list page: 219
against 147 µs for a page of 50, 46 against 11 µs for its count (bench/README.md, "Levers,
round four"). A `DriverRead` keeps what SQLAlchemy gives and drops the rest: the SQL is the
dialect's own compilation of the statement, each parameter goes through its type's bind
processor, driver errors are raised as SQLAlchemy's, and the engine's `before_cursor_execute`
listeners still see the statement (what counts or traces queries keeps working). Like
`group_commit._driver_sql`, it is for SQLite: on PostgreSQL a read goes through SQLAlchemy,
whose invalidation of a dropped connection the read pool relies on across restarts.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Dialect, Select
from sqlalchemy.exc import DBAPIError

_Processor = Callable[[Any], Any] | None


class DriverRead:
    """A SELECT with plain bound parameters only, run on SQLite's driver directly."""

    def __init__(self, statement: Select[Any]) -> None:
        self.statement = statement
        self._compiled: tuple[str, tuple[tuple[str, _Processor], ...]] | None = None

    def rows(self, conn: Connection, params: Mapping[str, Any]) -> Sequence[Sequence[Any]]:
        """Every row the statement selects with `params`, as tuples."""
        if conn.dialect.name != "sqlite":
            return conn.execute(self.statement, params).all()
        sql, binds = self._compiled or self._compile(conn.dialect)
        values = [params[name] if bind is None else bind(params[name]) for name, bind in binds]
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        for listener in conn.dispatch.before_cursor_execute:
            listener(conn, cursor, sql, values, None, False)
        try:
            return cursor.execute(sql, values).fetchall()  # type: ignore[no-any-return]
        except sqlite3.Error as exc:
            raise DBAPIError.instance(sql, values, exc, sqlite3.Error) from exc
        finally:
            cursor.close()

    def _compile(self, dialect: Dialect) -> tuple[str, tuple[tuple[str, _Processor], ...]]:
        compiled = self.statement.compile(dialect=dialect)
        names = compiled.positiontup
        if names is None or any(bind.expanding for bind in compiled.binds.values()):
            raise TypeError("a DriverRead takes plain positional parameters only")
        binds = tuple(
            (name, compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect))
            for name in names
        )
        self._compiled = (compiled.string, binds)
        return self._compiled
