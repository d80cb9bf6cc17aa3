"""Reads sent straight to SQLite's driver answer what SQLAlchemy would, and fail as it would."""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import (
    Column,
    Connection,
    Integer,
    MetaData,
    Select,
    Table,
    bindparam,
    event,
    select,
)
from sqlalchemy.exc import DBAPIError, OperationalError

from jpay_server.domain.payments import Payment, PaymentKind, PaymentStatus
from jpay_server.store import payments as store_payments
from jpay_server.store.db import open_database
from jpay_server.store.driver_reads import DriverRead
from jpay_server.store.payments import add_payment
from tests.databases import SqliteFactory
from tests.store.test_contract import seed_app
from tests.store.test_wire_sql import payments

APP_CODES = itertools.count(30_000_001)
BASE = datetime(2026, 11, 30, 9, 40, 42, tzinfo=UTC)
# Moments a few microseconds and seconds apart, some exactly whole seconds: the filters below
# fall on them, where a datetime bound in another text form than the stored one compares wrong.
MOMENTS = st.sampled_from(
    [BASE + timedelta(seconds=s, microseconds=u) for s in (0, 1) for u in (0, 1, 500_000)]
)
READS = [*store_payments._PAGES.values(), store_payments._COUNT]


def both_ways(
    read: DriverRead, conn: Connection, params: dict[str, Any]
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """The read's rows through the driver, and through SQLAlchemy's own execution."""
    driver = [tuple(row) for row in read.rows(conn, params)]
    through = [tuple(row) for row in conn.execute(read.statement, params).all()]
    return driver, through


async def compare(
    url: str, drawn: list[Payment], times: list[datetime], match: dict[str, Any]
) -> None:
    """Store `drawn` at `times` under a new app; every read must agree both ways on `match`."""
    db = open_database(url)
    try:
        app = await seed_app(db, next(APP_CODES))
        stored = [
            replace(
                p, id=f"P{n}", app_code=app.app_code, merchant_id=app.merchant_id, created_at=at
            )
            for n, (p, at) in enumerate(zip(drawn, times, strict=False))
        ]
        await db.write(lambda c: [add_payment(c, p) for p in stored])
        for kind, party in itertools.product(PaymentKind, (None, stored[0].party)):
            params = match | {"app_code": app.app_code, "kind": kind.value, "party": party}
            for read in READS:
                driver, through = await db.read(lambda c, r=read, p=params: both_ways(r, c, p))
                assert driver == through
    finally:
        await db.dispose()


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    drawn=st.lists(payments, min_size=1, max_size=6, unique_by=lambda p: (p.kind, p.ref_no)),
    times=st.lists(MOMENTS, min_size=6, max_size=6),
    since=st.none() | MOMENTS,
    before=st.none() | MOMENTS,
    status=st.none() | st.sampled_from(PaymentStatus),
    window=st.tuples(st.integers(0, 3), st.integers(1, 4)),
)
def test_driver_reads_answer_what_sqlalchemy_answers(
    sqlite_factory: SqliteFactory,
    drawn: list[Payment],
    times: list[datetime],
    since: datetime | None,
    before: datetime | None,
    status: PaymentStatus | None,
    window: tuple[int, int],
) -> None:
    match = {
        "status": status.value if status else None,
        "created_from": since,
        "created_before": before,
        "ref_no": None,
        "offset": window[0],
        "limit": window[1],
    }
    asyncio.run(compare(sqlite_factory.new(), drawn, times, match))


TABLE = Table("not_in_the_database", MetaData(), Column("x", Integer))
MATCH_NOTHING = dict.fromkeys(
    ["app_code", "kind", "status", "created_from", "created_before", "party", "ref_no"]
)
COUNT = READS[-1]


@pytest.mark.anyio
async def test_driver_errors_arrive_as_sqlalchemys(sqlite_factory: SqliteFactory) -> None:
    db = open_database(sqlite_factory.new())
    try:
        with pytest.raises(OperationalError, match="no such table"):
            await db.read(lambda c: DriverRead(select(TABLE)).rows(c, {}))
        assert await db.read(lambda c: COUNT.rows(c, MATCH_NOTHING)) == [(0,)]

        def closed_underneath(conn: Connection) -> object:
            conn.connection.driver_connection.close()  # type: ignore[union-attr]
            return COUNT.rows(conn, MATCH_NOTHING)

        # A connection closed under us is SQLAlchemy's invalidated one (the API's 503), and
        # the reader opens a new one for the next read.
        with pytest.raises(DBAPIError) as closed:
            await db.read(closed_underneath)
        assert closed.value.connection_invalidated
        assert await db.read(lambda c: COUNT.rows(c, MATCH_NOTHING)) == [(0,)]
    finally:
        await db.dispose()


@pytest.mark.anyio
async def test_unwatched_reads_take_the_shortcut(sqlite_factory: SqliteFactory) -> None:
    # Without this, every test above would pass with the shortcut never taken.
    db = open_database(sqlite_factory.new())
    unwatched = DriverRead(select(1))
    try:
        assert await db.read(lambda c: unwatched.rows(c, {})) == [(1,)]
        assert unwatched._compiled == ("SELECT 1", ())
    finally:
        await db.dispose()


@pytest.mark.anyio
async def test_with_a_cursor_listener_sqlalchemy_runs_the_read(
    sqlite_factory: SqliteFactory,
) -> None:
    db = open_database(sqlite_factory.new())
    seen: list[tuple[str, object]] = []

    def listener(*args: object) -> None:
        seen.append((str(args[2]), args[4]))

    watched = DriverRead(select(1))
    try:
        for engine in db.engines():
            event.listen(engine, "before_cursor_execute", listener)
        assert await db.read(lambda c: watched.rows(c, {})) == [(1,)]
        [(sql, context)] = seen
        assert sql == "SELECT 1"
        assert context is not None  # a real execution context, as tracing expects
        assert watched._compiled is None  # SQLAlchemy ran it: the shortcut compiled nothing
    finally:
        for engine in db.engines():
            event.remove(engine, "before_cursor_execute", listener)
        await db.dispose()


@pytest.mark.parametrize(
    "statement",
    [
        select(TABLE).where(TABLE.c.x.in_(bindparam("xs", expanding=True))),
        select(TABLE).where(TABLE.c.x == 5),
        select(TABLE).limit(3),
    ],
    ids=["expanding", "literal", "literal limit"],
)
@pytest.mark.anyio
async def test_binds_only_sqlalchemy_could_fill_are_refused(
    sqlite_factory: SqliteFactory, statement: Select[Any]
) -> None:
    db = open_database(sqlite_factory.new())
    try:
        with pytest.raises(TypeError, match="required, plainly bound parameters only"):
            await db.read(lambda c: DriverRead(statement).rows(c, {"xs": [1]}))
    finally:
        await db.dispose()
