"""A list page rendered by the database is `to_wire`'s JSON, on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
import itertools
import json
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jpay_server.domain.channels import DOCUMENTED
from jpay_server.domain.payments import Payment, PaymentFilter, PaymentKind, PaymentStatus, to_wire
from jpay_server.store.db import open_database
from jpay_server.store.payments import add_payment, wire_payment_page
from tests.conftest import BACKENDS
from tests.databases import PostgresFactory, SqliteFactory, run
from tests.store.test_contract import seed_app

# Any text a request can carry: no NUL (refused at the edge) and no lone surrogates (not UTF-8).
TEXT = st.characters(exclude_categories=("Cs",), exclude_characters="\x00")
MOMENTS = st.datetimes(datetime(1990, 1, 1), datetime(2200, 1, 1), timezones=st.just(UTC))  # noqa: DTZ001 (bounds are naive)
APP_CODES = itertools.count(20_000_001)


def text(low: int, high: int) -> st.SearchStrategy[str]:
    return st.text(TEXT, min_size=low, max_size=high)


payments = st.builds(
    Payment,
    id=st.just(""),  # numbered below: the page breaks ties on id
    kind=st.sampled_from(PaymentKind),
    app_code=st.just(0),
    merchant_id=st.just(0),
    party=text(1, 64),
    amount_cents=st.integers(-(10**15), 10**15),
    ref_no=text(1, 50),
    account_number=st.none() | text(0, 50),
    callback_url=text(1, 300),
    category=text(0, 16),
    narration=text(0, 200),
    channel=st.sampled_from(DOCUMENTED),
    status=st.sampled_from(PaymentStatus),
    failure_reason=st.none() | text(0, 200),
    created_at=MOMENTS,
    updated_at=MOMENTS,
    next_step_at=st.none(),
)


@pytest.fixture(params=BACKENDS)
def url(request: pytest.FixtureRequest, sqlite_factory: SqliteFactory) -> str:
    if request.param == "sqlite":
        return sqlite_factory.new()
    factory: PostgresFactory = request.getfixturevalue("postgres_factory")
    return run(factory.new())


async def pages(
    url: str, drawn: list[Payment]
) -> tuple[list[Payment], dict[PaymentKind, list[str]]]:
    """Store the payments under a new app: them as stored, and each kind's first page."""
    db = open_database(url)
    try:
        app = await seed_app(db, next(APP_CODES))
        code = app.app_code
        stored = [
            replace(p, id=f"{code}-{n:04d}", app_code=code, merchant_id=app.merchant_id)
            for n, p in enumerate(drawn)
        ]
        await db.write(lambda c: [add_payment(c, p) for p in stored])
        first = PaymentFilter()
        rendered = {
            kind: (await db.read(lambda c, k=kind: wire_payment_page(c, code, k, first, 0, 100)))[1]
            for kind in PaymentKind
        }
        return stored, rendered
    finally:
        await db.dispose()


def test_a_page_rendered_by_the_database_is_to_wire(url: str) -> None:
    @settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.lists(payments, min_size=1, max_size=8, unique_by=lambda p: (p.kind, p.ref_no)))
    def check(drawn: list[Payment]) -> None:
        stored, rendered = asyncio.run(pages(url, drawn))
        for kind in PaymentKind:
            mine = [p for p in stored if p.kind is kind]
            mine.sort(key=lambda p: (p.created_at, p.id), reverse=True)
            # Written out again, so that types count (2 is not 2.0, nor true) and key order.
            assert [json.dumps(json.loads(text)) for text in rendered[kind]] == [
                json.dumps(to_wire(p)) for p in mine
            ]

    check()
