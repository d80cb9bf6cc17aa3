"""The store contract, run on SQLite and on PostgreSQL, on schemas built by the migrations."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Connection, event
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from jpay_server.domain.apps import App, RefreshPolicy
from jpay_server.domain.credentials import SecretRecord
from jpay_server.domain.events import SecurityEvent, SecurityEventKind
from jpay_server.domain.merchants import MerchantStatus
from jpay_server.domain.refresh import RefreshUse, Successor
from jpay_server.store import migrate, tokens
from jpay_server.store.apps import (
    add_app,
    add_secret,
    app_access,
    app_by_code,
    expire_secrets,
    secrets_of,
)
from jpay_server.store.changes import ChangeKind, change_head, changes_since, record_change
from jpay_server.store.db import Database, open_database
from jpay_server.store.events import add_security_event, recent_security_events
from jpay_server.store.merchants import add_merchant, all_merchants
from jpay_server.store.sqlite import SqliteDatabase

pytestmark = pytest.mark.anyio

NOW = datetime(2026, 11, 28, 12, 0, 0, 123456, tzinfo=UTC)


@pytest.fixture
async def db(any_database_url: str) -> AsyncIterator[Database]:
    database = open_database(any_database_url)
    yield database
    await database.dispose()


def other_engine(db: Database) -> AsyncEngine:
    """Another process's engine on the same database, able to hold a transaction across awaits."""
    if db.url.get_backend_name() != "sqlite":
        return create_async_engine(db.url)
    engine = create_async_engine(db.url, connect_args={"timeout": 10})

    @event.listens_for(engine.sync_engine, "connect")
    def _autocommit(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # BEGIN is sent by _begin, below

    @event.listens_for(engine.sync_engine, "begin")
    def _begin(conn: Any) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")

    return engine


@asynccontextmanager
async def open_transaction(db: Database) -> AsyncIterator[AsyncConnection]:
    """A write transaction held open across awaits, as another request's would be."""
    engine = other_engine(db)
    try:
        async with engine.connect() as conn:
            await conn.execution_options(sqlite_begin="IMMEDIATE")
            async with conn.begin():
                yield conn
    finally:
        await engine.dispose()


async def seed_app(db: Database, code: int = 10_000_001) -> App:
    def command(c: Connection) -> App:
        merchant = add_merchant(c, "M", MerchantStatus.APPROVED, NOW)
        app = App(
            code,
            merchant.id,
            "A",
            f"jpay_ak_{code}",
            True,
            ("collections",),
            (),
            RefreshPolicy.ROTATE,
            NOW,
        )
        add_app(c, app)
        add_secret(c, code, SecretRecord(1, b"d" * 32, NOW, None))
        return app

    return await db.write(command)


async def test_migrations_reach_head(db: Database) -> None:
    assert await migrate.current_revision(db) == migrate.head_revision()


async def test_times_come_back_aware_and_exact(db: Database) -> None:
    await seed_app(db)
    merchant = (await db.read(all_merchants))[0]
    assert merchant.created_at == NOW
    assert merchant.created_at.tzinfo is not None


async def test_access_state_joins_app_merchant_and_secrets(db: Database) -> None:
    app = await seed_app(db)
    by_code = await db.read(lambda c: app_access(c, app_code=app.app_code))
    by_key = await db.read(lambda c: app_access(c, app_key=app.app_key))
    missing = await db.read(lambda c: app_access(c, app_key="nope"))
    assert by_code == by_key
    assert missing is None
    assert by_code is not None
    assert by_code.merchant_status is MerchantStatus.APPROVED
    assert [r.generation for r in by_code.secrets] == [1]


async def test_expire_secrets_only_shortens(db: Database) -> None:
    app = await seed_app(db)
    later, sooner = NOW + timedelta(hours=1), NOW + timedelta(minutes=1)

    def command(c: Connection) -> list[SecretRecord]:
        add_secret(c, app.app_code, SecretRecord(2, b"e" * 32, NOW, None))
        expire_secrets(c, app.app_code, 2, sooner)
        expire_secrets(c, app.app_code, 2, later)
        return secrets_of(c, app.app_code)

    records = await db.write(command)
    assert [(r.generation, r.expires_at) for r in records] == [(1, sooner), (2, None)]


def use(jti: str, family: str = "fam1", successor: str = "succ") -> RefreshUse:
    return RefreshUse(
        jti, family, 10_000_001, NOW, 1, Successor(successor, f"a-{successor}", NOW, "kid")
    )


async def test_only_one_concurrent_first_use_wins(db: Database) -> None:
    async def first_use(n: int) -> bool:
        return await db.write(lambda c: tokens.record_first_use(c, use("t1", successor=f"s{n}")))

    results = await asyncio.gather(*(first_use(n) for n in range(8)))
    assert results.count(True) == 1
    winner = await db.read(lambda c: tokens.use_of(c, "t1"))
    assert winner is not None
    assert winner.successor is not None
    assert winner.successor.jti == f"s{results.index(True)}"
    assert winner.used_at == NOW
    assert winner.successor.issued_at == NOW


async def test_a_revoked_family_takes_no_more_uses(db: Database) -> None:
    assert await db.write(lambda c: tokens.revoke_family(c, "fam1", 1, NOW, "test"))
    assert not await db.write(lambda c: tokens.revoke_family(c, "fam1", 1, NOW, "test"))
    assert not await db.write(lambda c: tokens.record_first_use(c, use("t1")))
    assert await db.write(lambda c: tokens.count_use(c, use("t2"))) is None
    assert await db.read(lambda c: tokens.is_revoked(c, "fam1"))
    assert await db.read(lambda c: tokens.revoked_since(c, NOW - timedelta(seconds=1))) == [
        ("fam1", NOW)
    ]


async def test_reusable_tokens_count_their_uses(db: Database) -> None:
    counts = [await db.write(lambda c: tokens.count_use(c, use("t1"))) for _ in range(3)]
    assert counts == [1, 2, 3]


async def test_prune_forgets_old_uses_and_revocations(db: Database) -> None:
    await db.write(lambda c: tokens.record_first_use(c, use("t1")))
    await db.write(lambda c: tokens.revoke_family(c, "fam2", 1, NOW, "test"))
    assert await db.write(lambda c: tokens.prune(c, NOW)) == 0
    assert await db.write(lambda c: tokens.prune(c, NOW + timedelta(seconds=1))) == 1
    assert await db.read(lambda c: tokens.use_of(c, "t1")) is None
    assert not await db.read(lambda c: tokens.is_revoked(c, "fam2"))


async def test_a_write_waits_for_a_conflicting_writer(db: Database) -> None:
    """Database.write waits out a writer holding what it needs, without blocking the loop."""
    order: list[str] = []
    locked = asyncio.Event()

    async def hold() -> None:
        async with open_transaction(db) as conn:
            await conn.run_sync(lambda c: tokens.record_first_use(c, use("t9", successor="first")))
            locked.set()
            await asyncio.sleep(0.3)
            order.append("holder commits")

    async def write() -> None:
        await locked.wait()
        second = use("t9", successor="second")
        won = await db.write(lambda c: tokens.record_first_use(c, second))
        order.append(f"write done, won={won}")

    async def ticker() -> None:
        await locked.wait()
        await asyncio.sleep(0.1)
        order.append("loop still runs")

    await asyncio.gather(hold(), write(), ticker())
    assert order == ["loop still runs", "holder commits", "write done, won=False"]
    stored = await db.read(lambda c: tokens.use_of(c, "t9"))
    assert stored is not None
    assert stored.successor is not None
    assert stored.successor.jti == "first"


async def test_change_log_is_dense(db: Database) -> None:
    async def record(n: int) -> int:
        return await db.write(lambda c: record_change(c, ChangeKind.APP, str(n), NOW))

    seqs = await asyncio.gather(*(record(n) for n in range(10)))
    assert sorted(seqs) == list(range(1, 11))
    changes, head = await db.read(lambda c: (changes_since(c, 4), change_head(c)))
    assert [c.seq for c in changes] == list(range(5, 11))
    assert head == 10


async def test_a_later_change_number_never_commits_before_an_earlier_one(db: Database) -> None:
    """A reader at seq N must never later see N-1 appear: numbers follow commit order."""
    committed: list[int] = []
    first_numbered = asyncio.Event()

    async def slow() -> None:
        async with open_transaction(db) as conn:
            seq = await conn.run_sync(record_change, ChangeKind.APP, "slow", NOW)
            first_numbered.set()
            await asyncio.sleep(0.3)  # still open while the other writer tries
        committed.append(seq)

    async def fast() -> None:
        await first_numbered.wait()
        async with open_transaction(db) as conn:
            seq = await conn.run_sync(record_change, ChangeKind.APP, "fast", NOW)
        committed.append(seq)

    await asyncio.gather(slow(), fast())
    assert committed == [1, 2]


async def test_row_locks_serialise_changes_to_one_app(db: Database) -> None:
    """Two operators changing one app: the second reads only after the first commits."""
    app = await seed_app(db)
    order: list[str] = []
    first_read = asyncio.Event()

    async def first() -> None:
        async with open_transaction(db) as conn:
            await conn.run_sync(lambda c: app_by_code(c, app.app_code, for_update=True))
            first_read.set()
            await asyncio.sleep(0.3)
            order.append("first commits")

    async def second() -> None:
        await first_read.wait()
        async with open_transaction(db) as conn:
            await conn.run_sync(lambda c: app_by_code(c, app.app_code, for_update=True))
            order.append("second reads")

    await asyncio.gather(first(), second())
    assert order == ["first commits", "second reads"]


async def test_rolled_back_change_leaves_no_gap(db: Database) -> None:
    def record_then_fail(c: Connection) -> None:
        record_change(c, ChangeKind.APP, "1", NOW)
        raise RuntimeError("abort")

    with pytest.raises(RuntimeError):
        await db.write(record_then_fail)
    assert await db.write(lambda c: record_change(c, ChangeKind.APP, "2", NOW)) == 1


async def test_security_events_newest_first(db: Database) -> None:
    app = await seed_app(db)

    def command(c: Connection) -> list[SecurityEvent]:
        for n in range(3):
            add_security_event(
                c,
                SecurityEvent(
                    SecurityEventKind.REFRESH_TOKEN_REUSED,
                    app.app_code,
                    app.merchant_id,
                    "fam",
                    "192.0.2.1",
                    NOW,
                    {"n": n},
                ),
            )
        return recent_security_events(c, app.app_code, limit=2)

    events = await db.write(command)
    assert [e.detail["n"] for e in events] == [2, 1]


async def test_a_failed_write_leaves_nothing_and_the_next_one_works(db: Database) -> None:
    def half_then_fail(c: Connection) -> None:
        tokens.record_first_use(c, use("t-half"))
        raise RuntimeError("command failed")

    with pytest.raises(RuntimeError):
        await db.write(half_then_fail)
    assert await db.read(lambda c: tokens.use_of(c, "t-half")) is None
    assert await db.write(lambda c: tokens.record_first_use(c, use("t-next")))
    assert await db.read(lambda c: tokens.use_of(c, "t-next")) is not None


async def hold_the_write_lock(db: Database, locked: asyncio.Event, seconds: float) -> None:
    """Another writer: a transaction that has written, set `locked`, and stays open a while."""
    async with open_transaction(db) as conn:
        await conn.run_sync(lambda c: tokens.record_first_use(c, use("t-held")))
        locked.set()
        await asyncio.sleep(seconds)


async def test_a_write_that_never_gets_the_lock_fails_as_unavailable(
    db: Database,
) -> None:
    """SQLite: past the busy deadline the error is SQLAlchemy's, which the API maps to 503."""
    if not isinstance(db, SqliteDatabase):
        pytest.skip("PostgreSQL writers wait on row locks, not on a database lock")
    impatient = SqliteDatabase(db.url, busy_timeout=0.1)
    locked = asyncio.Event()

    async def write() -> None:
        await locked.wait()
        with pytest.raises(OperationalError, match="locked"):
            await impatient.write(lambda c: tokens.record_first_use(c, use("t-late")))

    try:
        await asyncio.gather(hold_the_write_lock(db, locked, 0.5), write())
        assert await impatient.write(lambda c: tokens.record_first_use(c, use("t-after")))
    finally:
        await impatient.dispose()


async def test_a_read_on_a_dropped_connection_fails_once_then_reads_recover(
    db: Database,
) -> None:
    """PostgreSQL reads skip the pre-ping: a dropped connection costs one failed read."""
    if isinstance(db, SqliteDatabase):
        pytest.skip("the SQLite reader is a local file")
    assert await db.read(lambda c: tokens.is_revoked(c, "fam")) is False
    async with open_transaction(db) as conn:
        await conn.exec_driver_sql(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    with pytest.raises(DBAPIError):
        await db.read(lambda c: tokens.is_revoked(c, "fam"))
    assert await db.read(lambda c: tokens.is_revoked(c, "fam")) is False


async def test_a_write_on_a_dropped_connection_fails_once_then_writes_recover(
    db: Database,
) -> None:
    """PostgreSQL writes skip the pre-ping too: a dropped connection costs one failed write,
    which commits nothing."""
    if isinstance(db, SqliteDatabase):
        pytest.skip("the SQLite writer is a local file")
    assert await db.write(lambda c: tokens.record_first_use(c, use("t-before")))

    def drop_the_others(c: Connection) -> None:
        c.exec_driver_sql(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )

    await db.read(drop_the_others)
    with pytest.raises(DBAPIError):
        await db.write(lambda c: tokens.record_first_use(c, use("t-lost")))
    assert await db.write(lambda c: tokens.record_first_use(c, use("t-lost")))
    assert await db.write(lambda c: tokens.record_first_use(c, use("t-after")))


async def test_writes_queued_behind_another_writer_commit_together_each_undone_alone(
    db: Database,
) -> None:
    """SQLite group commit: one transaction, one savepoint per command, errors kept apart."""
    if not isinstance(db, SqliteDatabase):
        pytest.skip("group commit is how SQLite's one writer serves a process's writes")
    locked = asyncio.Event()

    def failing(c: Connection) -> bool:
        tokens.record_first_use(c, use("t-undone"))
        raise RuntimeError("this command fails")

    async def queued() -> list[object]:
        await locked.wait()
        return await asyncio.gather(
            db.write(lambda c: tokens.record_first_use(c, use("t-a"))),
            db.write(failing),
            db.write(lambda c: tokens.record_first_use(c, use("t-b"))),
            return_exceptions=True,
        )

    before = db.group_commit.transactions
    _, results = await asyncio.gather(hold_the_write_lock(db, locked, 0.2), queued())
    assert results[0] is True
    assert results[2] is True
    assert isinstance(results[1], RuntimeError)
    assert await db.read(lambda c: tokens.use_of(c, "t-a")) is not None
    assert await db.read(lambda c: tokens.use_of(c, "t-b")) is not None
    assert await db.read(lambda c: tokens.use_of(c, "t-undone")) is None
    assert db.group_commit.transactions == before + 1  # the three queued writes, one commit
