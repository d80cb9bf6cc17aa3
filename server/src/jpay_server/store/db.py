"""Engines and units of work; SQLite is tuned for one writer and many readers.

Reads that serve requests go through `Database.read`: a synchronous SQLAlchemy Core query
function. On SQLite it runs right on the calling (event loop) thread against a plain pysqlite
engine: a WAL reader never waits for a lock and a query takes microseconds, while aiosqlite's
thread hop for every cursor, execute and fetch cost about 2 ms per read here. On PostgreSQL
the same function runs through the async connection (`run_sync`). Writes, which may wait for
a lock, always go through the async engine.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import threading
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError, OperationalError, SQLAlchemyError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import SingletonThreadPool

from jpay_server.errors import ServiceUnavailable

T = TypeVar("T")
SQLITE_BUSY_TIMEOUT_MS = 10_000
GROUP_COMMIT_MAX = 32  # commands per transaction: bounds how long the write lock is held
READER_BUSY_TIMEOUT_MS = 1_000  # a WAL reader hardly ever waits; never block the loop long


class Database:
    """One engine and its session factory; `transaction()` is the unit of work."""

    def __init__(self, url: str, *, pool_size: int = 10) -> None:
        self.url: URL = make_url(url)
        self.is_sqlite = self.url.get_backend_name() == "sqlite"
        self.reader: Engine | None = None
        self.reads: AsyncEngine | None = None
        self.writer: Engine | None = None
        if self.is_sqlite:
            self.engine = _sqlite_engine(self.url)
            self.reader = _sqlite_reader(self.url)
            self.writer = _sqlite_writer(self.url)
        else:
            self.engine = create_async_engine(
                self.url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True
            )
            self.reads = _postgres_reads(self.url, pool_size)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False, autoflush=False)
        # SQLite has one writer. Queueing this process's writers here, in the event loop,
        # keeps them from each holding a pooled connection while SQLite's busy handler sleeps.
        self._writer = asyncio.Lock()
        self._writes = asyncio.Semaphore(pool_size)
        self._queued: list[_Queued] = []
        self._reading = _Held(self.reader) if self.reader is not None else None
        self._writing = _Held(self.writer) if self.writer is not None else None

    @contextlib.asynccontextmanager
    async def transaction(self, *, write: bool = True) -> AsyncIterator[AsyncSession]:
        """A session in one transaction: committed on success, rolled back on error."""
        if not (self.is_sqlite and write):
            async with self.sessions() as session, session.begin():
                yield session
            return
        async with self._writer, self.sessions() as session, session.begin():
            # Take SQLite's write lock up front: a deferred transaction that reads and then
            # writes can fail with SQLITE_BUSY_SNAPSHOT instead of waiting its turn.
            await session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})
            yield session

    async def read(self, query: Callable[[Connection], T]) -> T:
        """Run a read-only Core query function; each of its statements is atomic.

        Reads run in autocommit on both backends, with no explicit transaction: a page and its
        separate count may see different moments, as in most paginated APIs.
        """
        if self._reading is not None:
            conn = self._reading.get()
            try:
                return query(conn)
            except BaseException:
                self._reading.drop()
                raise
        async with (self.reads or self.engine).connect() as aconn:
            result: T = await aconn.run_sync(query)
            return result

    async def write(self, command: Callable[[Connection], T]) -> T:
        """Run a Core command function in one write transaction, committed if it returns.

        On SQLite it runs inline on this thread (BEGIN IMMEDIATE). If another process holds the
        write lock, BEGIN fails at once and the wait happens here, in the event loop, never
        blocking it; the command itself starts only once the lock is ours, so it runs once.
        Commands queued while the lock is awaited commit together (group commit): each in
        its own savepoint, so one that raises is rolled back alone, and each caller sees
        only its own result, after the commit.
        """
        if self._writing is None:
            # At most pool_size at once, so writes reuse pooled connections rather than open
            # and close overflow ones (see _postgres_reads); commands never nest.
            async with self._writes, self.engine.begin() as aconn:
                result: T = await aconn.run_sync(command)
                return result
        mine = _Queued(command, asyncio.get_running_loop().create_future())
        self._queued.append(mine)
        try:
            async with self._writer:
                while not mine.future.done():
                    conn = await self._begin()
                    batch = self._queued[:GROUP_COMMIT_MAX]
                    del self._queued[:GROUP_COMMIT_MAX]
                    self._run_batch(conn, batch)
        finally:
            if mine in self._queued:  # cancelled, or BEGIN failed, before it ran
                self._queued.remove(mine)
        outcome: T = mine.future.result()
        return outcome

    async def _begin(self) -> Connection:
        """BEGIN IMMEDIATE on the held connection, waiting for another process's lock."""
        assert self._writing is not None
        deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_MS / 1000
        pause = 0.0005
        while True:
            conn = self._writing.get()
            try:
                _driver_sql(conn, "BEGIN IMMEDIATE")
            except OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    self._writing.drop()
                    raise
            else:
                return conn
            await asyncio.sleep(pause)
            pause = min(pause * 2, 0.02)

    def _run_batch(self, conn: Connection, batch: list[_Queued]) -> None:
        """Run queued commands in the open transaction and commit; settle each one's future."""
        try:
            outcomes = _run_commands(conn, batch)
            _driver_sql(conn, "COMMIT")
        except BaseException as exc:
            self._rollback(conn)
            for item in batch:
                if isinstance(exc, Exception):
                    item.future.set_exception(exc)
                else:
                    item.future.cancel()
            if not isinstance(exc, Exception):
                raise
            return
        for item, result, error in outcomes:
            if error is None:
                item.future.set_result(result)
            else:
                item.future.set_exception(error)

    def _rollback(self, conn: Connection) -> None:
        assert self._writing is not None
        try:
            _driver_sql(conn, "ROLLBACK")
        except SQLAlchemyError:
            self._writing.drop()  # in an unknown state: start afresh next time

    async def ping(self) -> None:
        """Raise ServiceUnavailable unless the database answers."""
        try:
            async with self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except (SQLAlchemyError, OSError) as exc:
            raise ServiceUnavailable("Database unavailable") from exc

    async def dispose(self) -> None:
        """Close every pooled connection."""
        await self.engine.dispose()
        if self.reads is not None:
            await self.reads.dispose()
        for held in (self._reading, self._writing):
            if held is not None:
                held.drop()
        for engine in (self.reader, self.writer):
            if engine is not None:
                engine.dispose()


@dataclass(eq=False, slots=True)
class _Queued:
    """A write command waiting for its turn, and where its outcome goes."""

    command: Callable[[Connection], Any]
    future: asyncio.Future[Any]


def _run_commands(
    conn: Connection, batch: list[_Queued]
) -> list[tuple[_Queued, Any, Exception | None]]:
    """Each command's result or error; a failed one is undone alone, in its savepoint."""
    if len(batch) == 1:  # the common case pays for no savepoint: its error ends the batch
        return [(batch[0], batch[0].command(conn), None)]
    outcomes: list[tuple[_Queued, Any, Exception | None]] = []
    for item in batch:
        _driver_sql(conn, "SAVEPOINT command")
        try:
            outcomes.append((item, item.command(conn), None))
        except Exception as exc:
            _driver_sql(conn, "ROLLBACK TO command")
            outcomes.append((item, None, exc))
        _driver_sql(conn, "RELEASE command")
    return outcomes


def _driver_sql(conn: Connection, sql: str) -> None:
    """BEGIN, COMMIT or ROLLBACK on the held SQLite connection, straight to the driver.

    These three bracket every write; through SQLAlchemy they cost more than the command's
    own statement. Errors are raised as SQLAlchemy's, like any other statement's.
    """
    try:
        conn.connection.driver_connection.execute(sql)  # type: ignore[union-attr]
    except sqlite3.Error as exc:
        raise DBAPIError.instance(sql, None, exc, sqlite3.Error) from exc


class _Held:
    """One connection per thread, kept open between uses of a synchronous engine.

    Checking a connection out of the pool for every statement cost more than the statement.
    The driver runs in autocommit (transactions are explicit), so a held connection keeps no
    snapshot between uses; one that fails is dropped and the next use opens a new one.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._local = threading.local()

    def get(self) -> Connection:
        conn: Connection | None = getattr(self._local, "conn", None)
        if conn is None or conn.closed or conn.invalidated:
            conn = self._local.conn = self.engine.connect()
        return conn

    def drop(self) -> None:
        conn: Connection | None = getattr(self._local, "conn", None)
        self._local.conn = None
        if conn is not None:
            with contextlib.suppress(SQLAlchemyError):
                conn.close()


def _postgres_reads(url: URL, pool_size: int) -> AsyncEngine:
    """The PostgreSQL engine for `Database.read`: one round trip per statement.

    In autocommit no BEGIN precedes a read and no ROLLBACK follows it, and without a pre-ping
    no probe either: a read is one round trip instead of four. A connection the server has
    dropped fails one read (a 503); SQLAlchemy then replaces every pooled connection as old.
    No overflow: under load, overflow connections were opened and closed for single reads
    (a connect, an authentication and re-preparing statements each), the costliest part of
    a read; reads queue for one of `pool_size` connections instead. A read never waits for
    another read, so the queue always drains.
    """
    return create_async_engine(
        url, pool_size=pool_size, max_overflow=0, isolation_level="AUTOCOMMIT"
    )


def _sqlite_engine(url: URL) -> AsyncEngine:
    if url.database and url.database != ":memory:":
        # The file holds secret hashes and sealed keys: keep its directory private.
        Path(url.database).parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    engine = create_async_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
    _configure_sqlite(engine.sync_engine, SQLITE_BUSY_TIMEOUT_MS)
    _begin_explicitly(engine.sync_engine)
    return engine


def _sqlite_writer(url: URL) -> Engine:
    # busy_timeout 0: a locked database fails BEGIN at once, and Database.write waits for it
    # asynchronously instead of letting SQLite's busy handler block the event loop.
    engine = create_engine(url.set(drivername="sqlite+pysqlite"), poolclass=SingletonThreadPool)
    _configure_sqlite(engine, 0)
    return engine


def _sqlite_reader(url: URL) -> Engine:
    # One connection per thread: reads run on the event loop's thread and never interleave.
    engine = create_engine(
        url.set(drivername="sqlite+pysqlite"),
        poolclass=SingletonThreadPool,
        connect_args={"timeout": READER_BUSY_TIMEOUT_MS / 1000},
    )
    _configure_sqlite(engine, READER_BUSY_TIMEOUT_MS)
    return engine


def _configure_sqlite(engine: Engine, busy_timeout_ms: int) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, emit BEGIN (the documented aiosqlite recipe).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={busy_timeout_ms}")
        cursor.close()


def _begin_explicitly(engine: Engine) -> None:
    # The reader stays in autocommit; the writer's transactions begin here, IMMEDIATE or not.
    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")
