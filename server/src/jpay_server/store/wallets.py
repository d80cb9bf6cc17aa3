"""Wallet repository: balances that move only by conditional updates, and the ledger."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from jpay_server.domain.wallets import Balances, EntryType, LedgerEntry, WalletKind
from jpay_server.store.tables import LedgerEntryRow, WalletRow


@dataclass(frozen=True, slots=True)
class LedgerFilter:
    """What a ledger page may be narrowed to."""

    wallet: WalletKind | None = None
    created_from: datetime | None = None
    created_before: datetime | None = None


class WalletRepository:
    """Moves money inside the caller's transaction; every move writes a ledger entry."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def open(self, merchant_id: int, now: datetime) -> None:
        """Create a merchant's two empty wallets."""
        for kind in WalletKind:
            self.session.add(
                WalletRow(merchant_id=merchant_id, kind=kind.value, balance_cents=0, updated_at=now)
            )
        await self.session.flush()

    async def balances(self, merchant_id: int) -> Balances:
        """Both balances of a merchant."""
        rows = await self.session.execute(
            select(WalletRow.kind, WalletRow.balance_cents).where(
                WalletRow.merchant_id == merchant_id
            )
        )
        found = {kind: int(balance) for kind, balance in rows}
        return Balances(found.get("collection", 0), found.get("payout", 0))

    async def credit(
        self,
        merchant_id: int,
        wallet: WalletKind,
        cents: int,
        entry: EntryType,
        reference: str,
        description: str,
        now: datetime,
    ) -> int:
        """Add to a wallet; returns the new balance."""
        balance = await self.session.scalar(
            update(WalletRow)
            .where(WalletRow.merchant_id == merchant_id, WalletRow.kind == wallet.value)
            .values(balance_cents=WalletRow.balance_cents + cents, updated_at=now)
            .returning(WalletRow.balance_cents)
        )
        if balance is None:
            raise LookupError(f"merchant {merchant_id} has no {wallet} wallet")
        await self._entry(merchant_id, wallet, entry, cents, balance, reference, description, now)
        return int(balance)

    async def debit(
        self,
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
        balance = await self.session.scalar(
            update(WalletRow)
            .where(
                WalletRow.merchant_id == merchant_id,
                WalletRow.kind == wallet.value,
                WalletRow.balance_cents >= cents,
            )
            .values(balance_cents=WalletRow.balance_cents - cents, updated_at=now)
            .returning(WalletRow.balance_cents)
        )
        if balance is None:
            return None
        await self._entry(merchant_id, wallet, entry, -cents, balance, reference, description, now)
        return int(balance)

    async def _entry(
        self,
        merchant_id: int,
        wallet: WalletKind,
        entry: EntryType,
        cents: int,
        balance: int,
        reference: str,
        description: str,
        now: datetime,
    ) -> None:
        self.session.add(
            LedgerEntryRow(
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
        await self.session.flush()

    async def ledger(
        self, merchant_id: int, where: LedgerFilter, offset: int, limit: int
    ) -> tuple[int, list[LedgerEntry]]:
        """A page of a merchant's ledger, newest first, and the total that match."""
        conditions = [LedgerEntryRow.merchant_id == merchant_id]
        if where.wallet is not None:
            conditions.append(LedgerEntryRow.wallet == where.wallet.value)
        if where.created_from is not None:
            conditions.append(LedgerEntryRow.created_at >= where.created_from)
        if where.created_before is not None:
            conditions.append(LedgerEntryRow.created_at < where.created_before)
        total = await self.session.scalar(select(func.count(LedgerEntryRow.id)).where(*conditions))
        rows = await self.session.scalars(
            select(LedgerEntryRow)
            .where(*conditions)
            .order_by(LedgerEntryRow.id.desc())
            .offset(offset)
            .limit(limit)
        )
        entries = [
            LedgerEntry(
                id=r.id,
                merchant_id=r.merchant_id,
                wallet=WalletKind(r.wallet),
                type=EntryType(r.type),
                amount_cents=r.amount_cents,
                balance_after_cents=r.balance_after_cents,
                reference=r.reference,
                description=r.description,
                created_at=r.created_at,
            )
            for r in rows
        ]
        return int(total or 0), entries
