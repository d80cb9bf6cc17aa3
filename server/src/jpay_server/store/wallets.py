"""Wallet repository: balances that move only by conditional updates, and the ledger."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Row, bindparam, func, insert, or_, select, update

from jpay_server.domain.wallets import (
    Balances,
    EntryType,
    LedgerEntry,
    LedgerFilter,
    WalletKind,
)
from jpay_server.store.pages import page_total
from jpay_server.store.tables import LedgerEntryRow, WalletRow

_BALANCES = select(WalletRow.kind, WalletRow.balance_cents).where(
    WalletRow.merchant_id == bindparam("merchant_id")
)


def _balances(rows: Iterable[Row[str, int]]) -> Balances:
    found = {kind: int(balance) for kind, balance in rows}
    return Balances(found.get("collection", 0), found.get("payout", 0))


def balances(conn: Connection, merchant_id: int) -> Balances:
    """Both balances of a merchant."""
    return _balances(conn.execute(_BALANCES, {"merchant_id": merchant_id}))


_LEDGER_MATCH = (
    LedgerEntryRow.merchant_id == bindparam("merchant_id"),
    or_(
        bindparam("wallet", type_=LedgerEntryRow.wallet.type).is_(None),
        LedgerEntryRow.wallet == bindparam("wallet", type_=LedgerEntryRow.wallet.type),
    ),
    or_(
        bindparam("created_from", type_=LedgerEntryRow.created_at.type).is_(None),
        LedgerEntryRow.created_at
        >= bindparam("created_from", type_=LedgerEntryRow.created_at.type),
    ),
    or_(
        bindparam("created_before", type_=LedgerEntryRow.created_at.type).is_(None),
        LedgerEntryRow.created_at
        < bindparam("created_before", type_=LedgerEntryRow.created_at.type),
    ),
)
# Built once, like every read statement (see store/payments.py); read off
# ix_ledger_entry_merchant_id in its order.
_LEDGER_PAGE = (
    select(LedgerEntryRow.__table__)
    .where(*_LEDGER_MATCH)
    .order_by(LedgerEntryRow.id.desc())
    .offset(bindparam("offset"))
    .limit(bindparam("limit"))
)
_LEDGER_COUNT = select(func.count(LedgerEntryRow.id)).where(*_LEDGER_MATCH)


def ledger_page(
    conn: Connection, merchant_id: int, where: LedgerFilter, offset: int, limit: int
) -> tuple[int, list[LedgerEntry]]:
    """A page of a merchant's ledger, newest first, and how many entries match."""
    params = {
        "merchant_id": merchant_id,
        "wallet": where.wallet.value if where.wallet else None,
        "created_from": where.created_from,
        "created_before": where.created_before,
    }
    rows = conn.execute(_LEDGER_PAGE, {**params, "offset": offset, "limit": limit}).all()

    def count() -> int:
        return int(conn.execute(_LEDGER_COUNT, params).scalar_one())

    return page_total(len(rows), offset, limit, count), [_entry(row._mapping) for row in rows]


def _entry(m: Any) -> LedgerEntry:
    created = m["created_at"]
    return LedgerEntry(
        id=m["id"],
        merchant_id=m["merchant_id"],
        wallet=WalletKind(m["wallet"]),
        type=EntryType(m["type"]),
        amount_cents=m["amount_cents"],
        balance_after_cents=m["balance_after_cents"],
        reference=m["reference"],
        description=m["description"],
        created_at=created.replace(tzinfo=UTC) if created.tzinfo is None else created,
    )


def open_wallets(conn: Connection, merchant_id: int, now: datetime) -> None:
    """Create a merchant's two empty wallets."""
    conn.execute(
        insert(WalletRow),
        [
            {"merchant_id": merchant_id, "kind": k.value, "balance_cents": 0, "updated_at": now}
            for k in WalletKind
        ],
    )


def credit(
    conn: Connection,
    merchant_id: int,
    wallet: WalletKind,
    cents: int,
    entry: EntryType,
    reference: str,
    description: str,
    now: datetime,
) -> int:
    """Add to a wallet and write its ledger entry; returns the new balance."""
    balance = conn.execute(
        update(WalletRow)
        .where(WalletRow.merchant_id == merchant_id, WalletRow.kind == wallet.value)
        .values(balance_cents=WalletRow.balance_cents + cents, updated_at=now)
        .returning(WalletRow.balance_cents)
    ).scalar()
    if balance is None:
        raise LookupError(f"merchant {merchant_id} has no {wallet} wallet")
    _write_entry(conn, merchant_id, wallet, entry, cents, balance, reference, description, now)
    return int(balance)


def debit(
    conn: Connection,
    merchant_id: int,
    wallet: WalletKind,
    cents: int,
    entry: EntryType,
    reference: str,
    description: str,
    now: datetime,
) -> int | None:
    """Take from a wallet if it holds enough; the new balance, or None if it does not.

    One conditional UPDATE: on PostgreSQL a concurrent debit waits for the row lock and
    re-checks the condition, on SQLite writers queue, so no interleaving can overdraw.
    """
    balance = conn.execute(
        update(WalletRow)
        .where(
            WalletRow.merchant_id == merchant_id,
            WalletRow.kind == wallet.value,
            WalletRow.balance_cents >= cents,
        )
        .values(balance_cents=WalletRow.balance_cents - cents, updated_at=now)
        .returning(WalletRow.balance_cents)
    ).scalar()
    if balance is None:
        return None
    _write_entry(conn, merchant_id, wallet, entry, -cents, balance, reference, description, now)
    return int(balance)


def _write_entry(
    conn: Connection,
    merchant_id: int,
    wallet: WalletKind,
    entry: EntryType,
    cents: int,
    balance: int,
    reference: str,
    description: str,
    now: datetime,
) -> None:
    conn.execute(
        insert(LedgerEntryRow).values(
            merchant_id=merchant_id,
            wallet=wallet.value,
            type=entry.value,
            amount_cents=cents,
            balance_after_cents=balance,
            reference=reference,
            description=description[:200],
            created_at=now,
        )
    )
