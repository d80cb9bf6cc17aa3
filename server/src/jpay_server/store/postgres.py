"""PostgreSQL through asyncpg: one pool for write transactions, one in autocommit for reads."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from jpay_server.errors import ServiceUnavailable

T = TypeVar("T")


class PostgresDatabase:
    """A PostgreSQL database: Core functions run through `run_sync` on pooled connections."""

    def __init__(self, url: URL, *, pool_size: int = 10, timeout: float | None = None) -> None:
        self.url = url
        bounds = _bounds(timeout)
        # No pre-ping: on asyncpg it is three round trips (BEGIN, a probe, ROLLBACK) before
        # every transaction's own three. A connection the server dropped fails one write (a
        # 503, nothing committed), and SQLAlchemy then replaces every older pooled connection.
        self.engine = create_async_engine(
            url, pool_size=pool_size, max_overflow=pool_size, **bounds
        )
        self.read_engine = _read_engine(url, pool_size, bounds)
        self._readers = _HeldConnections(self.read_engine, pool_size, timeout)
        # At most pool_size writes at once, so they reuse held connections rather than open
        # and close overflow ones (see _read_engine); commands never nest.
        self._writers = _HeldConnections(self.engine, pool_size, timeout)

    async def read(self, query: Callable[[Connection], T]) -> T:
        """Run `query` in autocommit: each of its statements is atomic on its own."""
        async with self._readers.connection() as aconn:
            result: T = await aconn.run_sync(query)
            return result

    async def write(self, command: Callable[[Connection], T]) -> T:
        """Run `command` in one transaction, committed if it returns."""
        async with self._writers.connection() as aconn, aconn.begin():
            result: T = await aconn.run_sync(command)
            return result

    async def migrate(self, work: Callable[[Connection], T]) -> T:
        """Run `work` (Alembic's) in one transaction on a connection of its own."""
        async with self.engine.begin() as aconn:
            result: T = await aconn.run_sync(work)
            return result

    async def ping(self) -> None:
        """Raise ServiceUnavailable unless the server answers."""
        try:
            async with self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except (SQLAlchemyError, OSError) as exc:
            raise ServiceUnavailable("Database unavailable") from exc

    async def dispose(self) -> None:
        """Close every pooled connection."""
        await self._readers.release()
        await self._writers.release()
        await self.engine.dispose()
        await self.read_engine.dispose()

    def engines(self) -> list[Engine]:
        """Every synchronous engine underneath, to observe the statements sent."""
        return [self.engine.sync_engine, self.read_engine.sync_engine]


class _HeldConnections:
    """Connections kept checked out between units of work, so taking one is a list pop.

    SQLAlchemy's pool checkout and checkin cost about 80 µs of CPU per unit on asyncpg, a
    quarter of a page read. At most `size` are open; the wait for one is bounded by `timeout`
    (TimeoutError, answered 503) as `pool_timeout` bounds the pool's. A connection whose unit
    of work raised goes back to the pool (invalidated after a timeout: a cancel may still be in
    flight); one the server dropped takes the idle ones with it, so that, as with the pool, a
    PostgreSQL restart costs one failed read and the next read opens a fresh connection.
    """

    def __init__(self, engine: AsyncEngine, size: int, timeout: float | None) -> None:
        self._engine = engine
        self._slots = asyncio.Semaphore(size)
        self._timeout = timeout
        self._idle: list[AsyncConnection] = []

    @contextlib.asynccontextmanager
    async def connection(self) -> AsyncIterator[AsyncConnection]:
        """A connection for one unit of work, kept for the next one if the work succeeds."""
        async with asyncio.timeout(self._timeout):
            await self._slots.acquire()
        try:
            aconn = self._idle.pop() if self._idle else await self._engine.connect()
            try:
                yield aconn
            except BaseException as exc:
                await self._drop(aconn, exc)
                raise
            self._idle.append(aconn)
        finally:
            self._slots.release()

    async def _drop(self, aconn: AsyncConnection, exc: BaseException) -> None:
        if isinstance(exc, TimeoutError):
            await aconn.invalidate()
        elif isinstance(exc, DBAPIError) and exc.connection_invalidated:
            await self.release()
        await aconn.close()

    async def release(self) -> None:
        """Return every idle connection to the pool."""
        idle, self._idle = self._idle, []
        for aconn in idle:
            await aconn.close()


def _bounds(timeout: float | None) -> dict[str, Any]:
    """Engine options that bound every wait on the server to `timeout` seconds (None: none).

    asyncpg's `command_timeout` bounds each statement and `timeout` the connect (both client
    side, so a host cut off from the server fails fast instead of waiting for TCP to give up);
    `pool_timeout` bounds the wait for a pooled connection. No extra round trip: the bounds
    are set once per connection, locally. The TimeoutError raised is answered 503.
    """
    if timeout is None:
        return {}
    return {
        "pool_timeout": timeout,
        "connect_args": {"command_timeout": timeout, "timeout": timeout},
    }


def _read_engine(url: URL, pool_size: int, bounds: dict[str, Any]) -> AsyncEngine:
    """The engine for `read`: one round trip per statement.

    In autocommit no BEGIN precedes a read and no ROLLBACK follows it, and without a pre-ping
    no probe either: a read is one round trip instead of four. A connection the server has
    dropped fails one read (a 503); SQLAlchemy then replaces every pooled connection as old.
    No overflow: under load, overflow connections were opened and closed for single reads
    (a connect, an authentication and re-preparing statements each), the costliest part of
    a read; reads queue for one of `pool_size` connections instead. A read never waits for
    another read, so the queue always drains.
    """
    return create_async_engine(
        url, pool_size=pool_size, max_overflow=0, isolation_level="AUTOCOMMIT", **bounds
    )
