"""Hot reads sent straight to SQLite's driver, their SQL compiled once by SQLAlchemy.

On SQLite, SQLAlchemy's execution of a compiled and cached statement (its execution context,
parameter and result processing) costs more than SQLite's own work for a list page: 219
against 147 µs for a page of 50, 46 against 11 µs for its count (bench/README.md, "Levers,
round four"). A `DriverRead` keeps what SQLAlchemy gives and drops the rest: the SQL is the
dialect's own compilation of the statement, each parameter goes through its type's bind
processor, and driver errors are raised as SQLAlchemy's. Rows come back as the driver gives
them (no result processing: select only columns whose driver values are what you want).

Whatever observes statements through the engine's cursor events (the query-count test,
tracing) gets SQLAlchemy's own execution instead, with its real execution context: the
shortcut is taken only while no such listener is attached. Like `group_commit._driver_sql`,
it is for pysqlite only: on PostgreSQL a read goes through SQLAlchemy, whose invalidation of
a dropped connection the read pool relies on across restarts.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Dialect, Select
from sqlalchemy.exc import DBAPIError

_Processor = Callable[[Any], Any] | None


class DriverRead:
    """A SELECT with required, plainly bound parameters only, run on pysqlite directly."""

    def __init__(self, statement: Select[Any]) -> None:
        self.statement = statement
        self._compiled: tuple[str, tuple[tuple[str, _Processor], ...]] | None = None

    def rows(self, conn: Connection, params: Mapping[str, Any]) -> Sequence[Sequence[Any]]:
        """Every row the statement selects with `params`, as tuples."""
        dispatch = conn.dispatch
        if (
            conn.dialect.driver != "pysqlite"
            or dispatch.before_cursor_execute
            or dispatch.after_cursor_execute
        ):
            return conn.execute(self.statement, params).all()
        sql, binds = self._compiled or self._compile(conn.dialect)
        values = [params[name] if bind is None else bind(params[name]) for name, bind in binds]
        driver = conn.connection.driver_connection
        try:
            cursor = driver.cursor()  # type: ignore[union-attr]
            try:
                return cursor.execute(sql, values).fetchall()  # type: ignore[no-any-return]
            finally:
                cursor.close()
        except sqlite3.Error as exc:
            raise DBAPIError.instance(
                sql,
                values,
                exc,
                sqlite3.Error,
                hide_parameters=conn.engine.hide_parameters,
                # sqlite3.Error is this DBAPI module's Error, which the stubs type abstractly.
                connection_invalidated=conn.dialect.is_disconnect(exc, driver, None),  # type: ignore[arg-type]
                dialect=conn.dialect,
            ) from exc

    def _compile(self, dialect: Dialect) -> tuple[str, tuple[tuple[str, _Processor], ...]]:
        compiled = self.statement.compile(dialect=dialect)
        names = compiled.positiontup
        if (
            names is None
            or compiled.literal_execute_params
            or compiled.post_compile_params
            or any(bind.expanding or not bind.required for bind in compiled.bind_names)
        ):
            # A literal (`x == 5`, `.limit(3)`) becomes an anonymous bind whose value only
            # SQLAlchemy's execution supplies; an IN list is expanded by it at run time.
            raise TypeError("a DriverRead takes required, plainly bound parameters only")
        # As SQLAlchemy does: a name's processor is the first one found among its binds.
        processors: dict[str, _Processor] = {}
        for bind, name in compiled.bind_names.items():
            if processors.get(name) is None:
                processors[name] = bind.type.dialect_impl(dialect).bind_processor(dialect)
        self._compiled = (compiled.string, tuple((name, processors[name]) for name in names))
        return self._compiled
