"""Wallet use cases: balances, the ledger, transfers, and sandbox funding."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

from jpay_server.domain.access import Principal
from jpay_server.domain.audit import BY_OPERATOR
from jpay_server.domain.money import format_cents, parse_amount
from jpay_server.domain.payments import random_code
from jpay_server.domain.wallets import (
    Balances,
    EntryType,
    LedgerEntry,
    LedgerFilter,
    WalletKind,
    insufficient,
)
from jpay_server.services.audit import record_by
from jpay_server.services.context import Context
from jpay_server.services.idempotency import Answer, Keyed, once
from jpay_server.services.merchants import merchant_of
from jpay_server.store.db import Database
from jpay_server.store.wallets import balances as wallet_balances
from jpay_server.store.wallets import credit, debit, ledger_page


@dataclass(frozen=True, slots=True)
class Transfer:
    """A move from the collection wallet to the payout wallet."""

    reference: str
    amount_cents: int
    balances: Balances


def balances(conn: Connection, merchant_id: int) -> Balances:
    """A merchant's two balances."""
    return wallet_balances(conn, merchant_id)


def ledger(
    conn: Connection, merchant_id: int, where: LedgerFilter, page: int, page_size: int
) -> tuple[int, list[LedgerEntry]]:
    """A page of a merchant's ledger, newest first."""
    return ledger_page(conn, merchant_id, where, (page - 1) * page_size, page_size)


async def transfer(
    ctx: Context, database: Database, principal: Principal, amount: object, keyed: Keyed
) -> Answer:
    """Move money from the collection wallet to the payout wallet, once per key."""

    def command(conn: Connection) -> dict[str, Any]:
        done = _transfer(ctx, conn, principal.merchant_id, amount)
        return {
            "reference": done.reference,
            "amount": format_cents(done.amount_cents),
            **done.balances.as_wire(),
        }

    return await once(ctx, database, principal.app_code, keyed, command)


def _transfer(ctx: Context, conn: Connection, merchant_id: int, amount: object) -> Transfer:
    cents = parse_amount(amount)
    now = ctx.clock()
    reference = f"TRF-{now:%Y%m%d}-{random_code(ctx.rand, 10)}"
    debited = debit(
        conn,
        merchant_id,
        WalletKind.COLLECTION,
        cents,
        EntryType.TRANSFER_OUT,
        reference,
        "Transfer to payout wallet",
        now,
    )
    if debited is None:
        raise insufficient(WalletKind.COLLECTION)
    credit(
        conn,
        merchant_id,
        WalletKind.PAYOUT,
        cents,
        EntryType.TRANSFER_IN,
        reference,
        "Transfer from collection wallet",
        now,
    )
    return Transfer(reference, cents, wallet_balances(conn, merchant_id))


async def fund(ctx: Context, database: Database, merchant_id: int, amount: str) -> Balances:
    """Credit a merchant's payout wallet (the operator's sandbox top-up)."""
    cents = parse_amount(amount)

    def command(conn: Connection) -> Balances:
        merchant_of(conn, merchant_id)
        now = ctx.clock()
        reference = f"FUND-{now:%Y%m%d}-{random_code(ctx.rand, 10)}"
        description = f"Funding of {format_cents(cents)} by the operator"
        kind, entry = WalletKind.PAYOUT, EntryType.FUNDING
        credit(conn, merchant_id, kind, cents, entry, reference, description, now)
        details = {"amount": format_cents(cents), "reference": reference}
        target = f"merchant:{merchant_id}"
        record_by(conn, now, BY_OPERATOR, merchant_id, "wallet.fund", target, details)
        return wallet_balances(conn, merchant_id)

    return await database.write(command)
