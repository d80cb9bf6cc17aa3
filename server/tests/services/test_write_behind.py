"""Write-behind queues: every noted record is written, in bounded transactions."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from jpay_server.domain.logins import LoginStart
from jpay_server.services.logins import LoginLog
from jpay_server.services.write_behind import CHUNK
from jpay_server.store.db import open_database
from jpay_server.store.logins import logins_of
from jpay_server.store.sqlite import SqliteDatabase
from tests.store.test_contract import NOW, seed_app

pytestmark = pytest.mark.anyio
BACKLOG = 2 * CHUNK + 1


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[SqliteDatabase]:
    database = open_database(database_url)
    assert isinstance(database, SqliteDatabase)
    yield database
    await database.dispose()


async def backlog(db: SqliteDatabase) -> tuple[LoginLog, int]:
    """A login log with BACKLOG logins noted and not written, and their app."""
    app = await seed_app(db)
    log = LoginLog(db, lambda: NOW)
    for n in range(BACKLOG):
        log.note(LoginStart(f"fam-{n}", app.app_code, NOW, NOW + timedelta(days=1), None))
    return log, app.app_code


async def written(db: SqliteDatabase, app_code: int) -> int:
    return len(await db.read(lambda c: logins_of(c, app_code, NOW)))


async def test_a_large_backlog_is_written_whole_in_transactions_of_at_most_chunk(
    db: SqliteDatabase,
) -> None:
    # One transaction for a second of logins held the event loop for tens of milliseconds.
    log, app_code = await backlog(db)
    before = db.group_commit.transactions
    assert await log.flush() == BACKLOG
    assert db.group_commit.transactions - before == 3
    assert await written(db, app_code) == BACKLOG
    assert await log.flush() == 0  # nothing is written twice


async def test_requests_run_between_the_chunks(db: SqliteDatabase) -> None:
    log, app_code = await backlog(db)
    flushing = asyncio.create_task(log.flush())
    await asyncio.sleep(0)  # the flush writes its first chunk and yields
    assert await written(db, app_code) == CHUNK
    assert await flushing == BACKLOG


async def test_a_flush_returns_only_once_a_flush_in_progress_is_written(
    db: SqliteDatabase,
) -> None:
    # revoke_logins flushes, then revokes what it reads: a login another flush had taken
    # and not yet written would escape the revocation.
    log, app_code = await backlog(db)
    flushing = asyncio.create_task(log.flush())
    await asyncio.sleep(0)
    assert await log.flush() == 0  # nothing left for it, but it waited
    assert await written(db, app_code) == BACKLOG
    assert flushing.done()
