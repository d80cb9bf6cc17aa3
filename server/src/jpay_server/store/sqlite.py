"""SQLite in WAL mode: many readers inline on the event loop's thread, one writer.

Two held pysqlite connections, one per role. Reads run synchronously on the calling (event
loop) thread: a WAL reader never waits for a lock and a query takes microseconds, while
aiosqlite's thread hop for every cursor, execute and fetch cost about 2 ms per read. Write
commands run the same way on the second connection, through GroupCommit. Alembic gets a
connection of its own, in a worker thread (`migrate`). A `sqlite+aiosqlite://` URL is still
accepted: only the file matters.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool, SingletonThreadPool

from jpay_server.errors import ServiceUnavailable
from jpay_server.store.group_commit import GroupCommit
from jpay_server.store.held_connection import HeldConnection

T = TypeVar("T")
BUSY_TIMEOUT = 10.0  # seconds a writer waits for another process's write lock
READER_BUSY_TIMEOUT = 1.0  # a WAL reader hardly ever waits; never block the loop long


class SqliteDatabase:
    """A SQLite file: `read` and `write` run inline; writes queue for the one write lock."""

    def __init__(self, url: URL, *, busy_timeout: float = BUSY_TIMEOUT) -> None:
        self.url = url
        if url.database and url.database != ":memory:":
            # The file holds secret hashes and sealed keys: keep its directory private.
            Path(url.database).parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        self._busy_timeout = busy_timeout
        self._reader = HeldConnection(_sync_engine(url, READER_BUSY_TIMEOUT))
        # Busy timeout 0: GroupCommit waits for a locked database in the event loop instead.
        writer = HeldConnection(_sync_engine(url, 0))
        self.group_commit = GroupCommit(writer, busy_timeout)

    async def read(self, query: Callable[[Connection], T]) -> T:
        """Run `query` on this thread's reader connection, in autocommit."""
        conn = self._reader.get()
        try:
            return query(conn)
        except BaseException:
            self._reader.drop()
            raise

    async def write(self, command: Callable[[Connection], T]) -> T:
        """Run `command` in one write transaction (see GroupCommit)."""
        return await self.group_commit.run(command)

    async def migrate(self, work: Callable[[Connection], T]) -> T:
        """Run `work` (Alembic's) in one transaction on a connection of its own."""

        def run() -> T:
            # Made and used in one worker thread: pysqlite connections stay in their thread.
            engine = create_engine(
                self.url.set(drivername="sqlite+pysqlite"),
                poolclass=NullPool,
                connect_args={"timeout": self._busy_timeout},
            )
            _configure(engine, self._busy_timeout)
            # The driver is in autocommit (see _configure): SQLAlchemy's BEGIN is sent here.
            event.listen(engine, "begin", lambda conn: conn.exec_driver_sql("BEGIN"))
            try:
                with engine.begin() as conn:
                    return work(conn)
            finally:
                engine.dispose()

        return await asyncio.to_thread(run)

    async def ping(self) -> None:
        """Raise ServiceUnavailable unless the file can be read."""
        try:
            self._reader.get().execute(text("SELECT 1"))
        except SQLAlchemyError as exc:
            self._reader.drop()
            raise ServiceUnavailable("Database unavailable") from exc

    async def dispose(self) -> None:
        """Close every connection."""
        for held in (self._reader, self.group_commit.writer):
            held.drop()
            held.engine.dispose()

    def engines(self) -> list[Engine]:
        """Every synchronous engine underneath, to observe the statements sent."""
        return [self._reader.engine, self.group_commit.writer.engine]


def _sync_engine(url: URL, busy_timeout: float) -> Engine:
    # One connection per thread (reads and writes run on the event loop's thread).
    engine = create_engine(
        url.set(drivername="sqlite+pysqlite"),
        poolclass=SingletonThreadPool,
        connect_args={"timeout": busy_timeout},
    )
    _configure(engine, busy_timeout)
    return engine


def _configure(engine: Engine, busy_timeout: float) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # autocommit: transactions are explicit
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout * 1000)}")
        cursor.close()
