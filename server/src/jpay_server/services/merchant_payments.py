"""The merchant API's money use cases: payments across all the merchant's apps, the wallets.

Reads only; each answers a page (the same filters and pagination as the app routes) or every
matching row for a CSV export, capped at EXPORT_MAX rows.
"""

from __future__ import annotations

from jpay_server.domain.members import Member
from jpay_server.domain.payments import Payment, PaymentFilter, PaymentKind
from jpay_server.domain.wallets import Balances, LedgerEntry, LedgerFilter
from jpay_server.services.context import Context
from jpay_server.store.db import Database
from jpay_server.store.payments import merchant_payment_page
from jpay_server.store.wallets import balances, ledger_page

EXPORT_MAX = 10_000


async def payments(
    ctx: Context,
    database: Database,
    member: Member,
    kind: PaymentKind,
    where: PaymentFilter,
    page: int,
    page_size: int,
    app_code: int | None = None,
) -> tuple[int, list[Payment]]:
    """A page of the merchant's payments of one kind (optionally of one app), newest first."""
    offset = (page - 1) * page_size
    return await database.read(
        lambda conn: merchant_payment_page(
            conn, member.merchant_id, kind, where, offset, page_size, app_code
        )
    )


async def export_payments(
    ctx: Context,
    database: Database,
    member: Member,
    kind: PaymentKind,
    where: PaymentFilter,
    app_code: int | None = None,
) -> list[Payment]:
    """Every matching payment (at most EXPORT_MAX, newest first), for a CSV export."""
    _, found = await payments(ctx, database, member, kind, where, 1, EXPORT_MAX, app_code)
    return found


async def wallet_balances(ctx: Context, database: Database, member: Member) -> Balances:
    """The merchant's collection and payout balances."""
    return await database.read(lambda conn: balances(conn, member.merchant_id))


async def ledger(
    ctx: Context,
    database: Database,
    member: Member,
    where: LedgerFilter,
    page: int,
    page_size: int,
) -> tuple[int, list[LedgerEntry]]:
    """A page of the merchant's ledger, newest first."""
    offset = (page - 1) * page_size
    return await database.read(
        lambda conn: ledger_page(conn, member.merchant_id, where, offset, page_size)
    )


async def export_ledger(
    ctx: Context, database: Database, member: Member, where: LedgerFilter
) -> list[LedgerEntry]:
    """Every matching ledger entry (at most EXPORT_MAX, newest first), for a CSV export."""
    _, found = await ledger(ctx, database, member, where, 1, EXPORT_MAX)
    return found
