"""The database a process talks to: SQLite or PostgreSQL behind one small protocol.

Store functions are synchronous SQLAlchemy Core functions taking a `Connection`
(docs/architecture.md). A service runs them with `read` (autocommit, no transaction: a page
and its separate count may see different moments, as in most paginated APIs) or `write` (one
transaction, committed if the function returns). `open_database` picks the implementation
from the URL: store/sqlite.py or store/postgres.py.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, TypeVar

from sqlalchemy import Connection, Engine
from sqlalchemy.engine import URL, make_url

from jpay_server.store.postgres import PostgresDatabase
from jpay_server.store.sqlite import SqliteDatabase

T = TypeVar("T")


class Database(Protocol):
    """What services, migrations and the runtime need of a database."""

    url: URL

    async def read(self, query: Callable[[Connection], T]) -> T:
        """Run a read-only Core query function in autocommit; each statement is atomic."""
        ...

    async def write(self, command: Callable[[Connection], T]) -> T:
        """Run a Core command function in one write transaction, committed if it returns."""
        ...

    async def migrate(self, work: Callable[[Connection], T]) -> T:
        """Run `work` (Alembic's) in one transaction on a connection of its own."""
        ...

    async def ping(self) -> None:
        """Raise ServiceUnavailable unless the database answers."""
        ...

    async def dispose(self) -> None:
        """Close every connection."""
        ...

    def engines(self) -> list[Engine]:
        """Every synchronous engine underneath, to observe the statements sent."""
        ...


def open_database(url: str, *, pool_size: int = 10, timeout: float | None = None) -> Database:
    """The database at `url`: SQLite (one file) or PostgreSQL (`pool_size` connections).

    On PostgreSQL `timeout` bounds each statement, connect and wait for a pooled connection
    (the server passes JPAY_DATABASE_TIMEOUT; the CLI, which runs migrations, passes none).
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return SqliteDatabase(parsed)
    return PostgresDatabase(parsed, pool_size=pool_size, timeout=timeout)
