"""JPAY_DATABASE_TIMEOUT on a real PostgreSQL: a statement past it fails, and is not reused."""

from __future__ import annotations

import pytest
from sqlalchemy import Connection, text

from jpay_server.store.db import open_database

pytestmark = pytest.mark.anyio


def _sleep(conn: Connection) -> object:
    return conn.execute(text("SELECT pg_sleep(30)")).scalar()


def _backend(conn: Connection) -> object:
    return conn.execute(text("SELECT pg_backend_pid()")).scalar()


async def test_reads_and_writes_past_the_timeout_fail_and_the_pool_recovers(postgres_factory):
    database = open_database(await postgres_factory.new(), pool_size=1, timeout=0.5)
    try:
        stuck = await database.read(_backend)
        with pytest.raises(TimeoutError):
            await database.read(_sleep)
        assert await database.read(_backend) != stuck  # a fresh connection, not the stuck one
        with pytest.raises(TimeoutError):
            await database.write(_sleep)
        assert await database.write(lambda conn: conn.execute(text("SELECT 1")).scalar()) == 1
    finally:
        await database.dispose()
