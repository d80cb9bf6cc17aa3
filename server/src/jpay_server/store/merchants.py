"""Merchant repository."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from jpay_server.domain.merchants import Merchant, MerchantStatus
from jpay_server.store.tables import MerchantRow


def _merchant(row: MerchantRow) -> Merchant:
    return Merchant(
        id=row.id,
        name=row.name,
        status=MerchantStatus(row.status),
        approved_at=row.approved_at,
        created_at=row.created_at,
    )


class MerchantRepository:
    """Reads and writes merchants inside the caller's transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, name: str, status: MerchantStatus, now: datetime) -> Merchant:
        """Insert a merchant and return it with its new id."""
        approved_at = now if status is MerchantStatus.APPROVED else None
        row = MerchantRow(
            name=name, status=status, approved_at=approved_at, created_at=now, updated_at=now
        )
        self.session.add(row)
        await self.session.flush()
        return _merchant(row)

    async def get(self, merchant_id: int, *, for_update: bool = False) -> Merchant | None:
        """The merchant, or None; `for_update` locks its row until the transaction ends."""
        row = await self.session.get(MerchantRow, merchant_id, with_for_update=for_update)
        return _merchant(row) if row else None

    async def save(self, merchant: Merchant, now: datetime) -> None:
        """Write back a merchant's status."""
        row = await self.session.get_one(MerchantRow, merchant.id)
        row.status = merchant.status
        row.approved_at = merchant.approved_at
        row.updated_at = now
        await self.session.flush()  # autoflush is off: later reads must see this

    async def all(self) -> list[Merchant]:
        """Every merchant, oldest first."""
        rows = await self.session.scalars(select(MerchantRow).order_by(MerchantRow.id))
        return [_merchant(row) for row in rows]
