"""Write-behind queues: every noted record is written, in bounded transactions."""

from __future__ import annotations

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


async def test_a_large_backlog_is_written_whole_in_transactions_of_at_most_chunk(
    database_url: str,
) -> None:
    # One transaction for a second of logins held the event loop for tens of milliseconds.
    db = open_database(database_url)
    assert isinstance(db, SqliteDatabase)
    try:
        app = await seed_app(db)
        log = LoginLog(db, lambda: NOW)
        noted = 2 * CHUNK + 1
        for n in range(noted):
            log.note(LoginStart(f"fam-{n}", app.app_code, NOW, NOW + timedelta(days=1), None))
        before = db.group_commit.transactions
        assert await log.flush() == noted
        assert db.group_commit.transactions - before == 3
        listed = await db.read(lambda c: logins_of(c, app.app_code, NOW))
        assert len(listed) == noted
        assert await log.flush() == 0  # nothing is written twice
    finally:
        await db.dispose()
