"""The payments store contract on SQLite and PostgreSQL: money, queues, leases, keys."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Connection, update
from sqlalchemy.exc import DBAPIError, IntegrityError

from jpay_server.domain.channels import DOCUMENTED
from jpay_server.domain.idempotency import Remembered
from jpay_server.domain.merchants import MerchantStatus
from jpay_server.domain.payments import (
    Payment,
    PaymentFilter,
    PaymentKind,
    PaymentStatus,
    to_wire,
)
from jpay_server.domain.wallets import EntryType, LedgerFilter, WalletKind
from jpay_server.domain.webhooks import EventStatus, WebhookEvent
from jpay_server.store import webhooks
from jpay_server.store.channels import channel_page
from jpay_server.store.db import Database, open_database
from jpay_server.store.idempotency import KeyTaken, remember, remembered
from jpay_server.store.merchants import add_merchant
from jpay_server.store.payments import (
    DuplicateRefNo,
    add_payment,
    claim_due,
    payment_by_id,
    save_state,
    wire_payment_page,
)
from jpay_server.store.tables import WalletRow
from jpay_server.store.wallets import (
    balances,
    credit,
    debit,
    ledger_page,
    open_wallets,
)
from tests.store.test_contract import open_transaction, seed_app

pytestmark = pytest.mark.anyio
NOW = datetime(2026, 11, 28, 12, tzinfo=UTC)


@pytest.fixture
async def db(any_database_url: str) -> AsyncIterator[Database]:
    database = open_database(any_database_url)
    yield database
    await database.dispose()


def ids(page: list[str]) -> list[str]:
    return [json.loads(text)["id"] for text in page]


async def funded_merchant(db: Database, cents: int) -> int:
    def command(c: Connection) -> int:
        merchant = add_merchant(c, "M", MerchantStatus.APPROVED, NOW)
        open_wallets(c, merchant.id, NOW)
        credit(c, merchant.id, WalletKind.PAYOUT, cents, EntryType.FUNDING, "F", "f", NOW)
        return merchant.id

    return await db.write(command)


def payment(app_code: int, merchant_id: int, n: int, due: datetime | None = NOW) -> Payment:
    return Payment(
        f"COLL-{n}",
        PaymentKind.COLLECTION,
        app_code,
        merchant_id,
        "+254712345678",
        100,
        f"R{n}",
        "JPay",
        "https://x.example/h",
        "other",
        "n",
        DOCUMENTED[4],
        PaymentStatus.PENDING,
        None,
        NOW + timedelta(seconds=n),
        NOW,
        due,
    )


async def test_seeded_channels(db: Database) -> None:
    count, channels = await db.read(lambda conn: channel_page(conn, None, True, 0, 100))
    assert count == 7
    assert [c.code for c in channels] == [c.code for c in DOCUMENTED]


async def test_concurrent_debits_never_overdraw(db: Database) -> None:
    merchant = await funded_merchant(db, 1_000)

    async def take(n: int) -> int | None:
        return await db.write(
            lambda c: debit(
                c, merchant, WalletKind.PAYOUT, 300, EntryType.PAYOUT, f"P{n}", "p", NOW
            )
        )

    results = await asyncio.gather(*(take(n) for n in range(8)))
    assert sorted(r for r in results if r is not None) == [100, 400, 700]
    assert (await db.read(lambda c: balances(c, merchant))).payout_cents == 100
    count, entries = await db.read(lambda conn: ledger_page(conn, merchant, LedgerFilter(), 0, 50))
    assert count == 4
    assert sum(e.amount_cents for e in entries) == 100


async def test_the_database_itself_refuses_a_negative_balance(db: Database) -> None:
    merchant = await funded_merchant(db, 100)

    def overdraw(c: Connection) -> None:
        c.execute(
            update(WalletRow)
            .where(WalletRow.merchant_id == merchant, WalletRow.kind == "payout")
            .values(balance_cents=-1)
        )

    with pytest.raises(IntegrityError):
        await db.write(overdraw)


async def test_ref_no_is_unique_per_app_and_kind(db: Database) -> None:
    app = await seed_app(db)
    await db.write(lambda c: add_payment(c, payment(app.app_code, app.merchant_id, 1)))
    twin = replace(payment(app.app_code, app.merchant_id, 1), id="COLL-other")

    with pytest.raises(DuplicateRefNo):
        await db.write(lambda c: add_payment(c, twin))


async def test_two_workers_claim_disjoint_payments(db: Database) -> None:
    app = await seed_app(db)
    await db.write(
        lambda c: [add_payment(c, payment(app.app_code, app.merchant_id, n)) for n in range(6)]
    )
    claimed: list[list[str]] = []
    started = asyncio.Event()

    async def worker(first: bool) -> None:
        if not first:
            await started.wait()
        async with open_transaction(db) as conn:
            due = await conn.run_sync(lambda c: claim_due(c, NOW + timedelta(minutes=1), 3))
            started.set()
            claimed.append([p.id for p in due])
            await asyncio.sleep(0.2)  # hold the locks while the other claims
            for p in due:  # as the worker does: a stepped payment is no longer due now
                later = replace(p, next_step_at=NOW + timedelta(hours=1))
                await conn.run_sync(lambda c, later=later: save_state(c, later))

    await asyncio.gather(worker(True), worker(False))
    assert len(claimed) == 2
    assert sorted(claimed[0] + claimed[1]) == [f"COLL-{n}" for n in range(6)]


async def test_list_filters_and_pages(db: Database) -> None:
    app = await seed_app(db)
    await db.write(
        lambda c: [
            add_payment(c, payment(app.app_code, app.merchant_id, n, due=None)) for n in range(5)
        ]
    )
    collections, payouts = PaymentKind.COLLECTION, PaymentKind.PAYOUT
    code = app.app_code
    count, page = await db.read(
        lambda c: wire_payment_page(c, code, collections, PaymentFilter(), 1, 2)
    )
    assert count == 5
    assert ids(page) == ["COLL-3", "COLL-2"]
    assert await db.read(lambda c: wire_payment_page(c, code, payouts, PaymentFilter(), 0, 10)) == (
        0,
        [],
    )
    beyond = await db.read(
        lambda c: wire_payment_page(c, code, collections, PaymentFilter(), 50, 10)
    )
    assert beyond == (5, [])  # past the end, the total is still right
    last = await db.read(lambda c: wire_payment_page(c, code, collections, PaymentFilter(), 4, 2))
    assert (last[0], ids(last[1])) == (5, ["COLL-0"])  # a short page ends the list
    exact = await db.read(lambda c: wire_payment_page(c, code, collections, PaymentFilter(), 0, 5))
    assert exact[0] == 5  # a full page cannot tell, so it counts
    window = PaymentFilter(
        created_from=NOW + timedelta(seconds=1), created_before=NOW + timedelta(seconds=3)
    )
    _, found = await db.read(lambda c: wire_payment_page(c, code, collections, window, 0, 10))
    assert ids(found) == ["COLL-2", "COLL-1"]
    assert await db.read(lambda c: payment_by_id(c, code + 1, collections, "COLL-1")) is None
    one = await db.read(lambda c: payment_by_id(c, code, collections, "COLL-1"))
    assert one is not None
    assert json.loads(found[1]) == to_wire(one)


async def test_a_leased_event_is_not_claimed_again_until_the_lease_ends(db: Database) -> None:
    app = await seed_app(db)
    event = WebhookEvent(
        "msg_1",
        app.app_code,
        "collection.completed",
        "https://x.example/h",
        "{}",
        EventStatus.PENDING,
        0,
        NOW,
        NOW,
    )
    await db.write(lambda c: webhooks.add_event(c, event))
    first = await db.write(lambda c: webhooks.claim_due(c, NOW, NOW + timedelta(seconds=40), 10))
    during = await db.write(
        lambda c: webhooks.claim_due(
            c, NOW + timedelta(seconds=39), NOW + timedelta(seconds=80), 10
        )
    )
    after = await db.write(
        lambda c: webhooks.claim_due(
            c, NOW + timedelta(seconds=41), NOW + timedelta(seconds=81), 10
        )
    )
    attempts = await db.read(lambda c: webhooks.attempts_of(c, "msg_1"))
    assert [e.attempts for e in first] == [1]
    assert during == []
    assert [e.attempts for e in after] == [2]
    assert [a.attempt for a in attempts] == [1, 2]  # the abandoned attempt still has its row


async def test_only_one_request_remembers_a_key(db: Database) -> None:
    app = await seed_app(db)
    answer = Remembered("e", "fp", 200, {"id": "x"})

    async def keep(n: int) -> bool:
        try:
            await db.write(lambda c: remember(c, app.app_code, "k", answer, NOW))
        except KeyTaken:
            return False
        return True

    assert sorted(await asyncio.gather(*(keep(n) for n in range(4)))) == [
        False,
        False,
        False,
        True,
    ]
    code = app.app_code
    assert await db.read(lambda c: remembered(c, code, "k", NOW - timedelta(hours=1))) == answer
    assert await db.read(lambda c: remembered(c, code, "k", NOW + timedelta(seconds=1))) is None


async def test_reads_see_writes_made_since_the_last_read(
    db: Database, any_database_url: str
) -> None:
    # The SQLite reader keeps its connection between reads; it must not keep a snapshot too.
    app = await seed_app(db)
    code, collections = app.app_code, PaymentKind.COLLECTION
    assert await db.read(
        lambda c: wire_payment_page(c, code, collections, PaymentFilter(), 0, 10)
    ) == (
        0,
        [],
    )
    other = open_database(any_database_url)  # another process's writes, through its own engine
    try:
        await other.write(lambda c: add_payment(c, payment(code, app.merchant_id, 1, due=None)))
    finally:
        await other.dispose()
    count, found = await db.read(
        lambda c: wire_payment_page(c, code, collections, PaymentFilter(), 0, 10)
    )
    assert (count, ids(found)) == (1, ["COLL-1"])


async def test_a_failed_read_leaves_the_next_one_working(db: Database) -> None:
    def broken(conn: Connection) -> None:
        conn.exec_driver_sql("SELECT * FROM no_such_table")

    with pytest.raises(DBAPIError):
        await db.read(broken)
    count, _ = await db.read(lambda conn: channel_page(conn, None, True, 0, 100))
    assert count == 7
