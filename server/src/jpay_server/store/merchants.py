"""Merchants (Core functions)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, insert, select, update

from jpay_server.domain.merchants import Merchant, MerchantStatus
from jpay_server.store.tables import MerchantRow

_MERCHANTS = MerchantRow.__table__


def _merchant(row: Row[Any]) -> Merchant:
    return Merchant(
        id=row.id,
        name=row.name,
        status=MerchantStatus(row.status),
        approved_at=row.approved_at,
        created_at=row.created_at,
    )


def add_merchant(conn: Connection, name: str, status: MerchantStatus, now: datetime) -> Merchant:
    """Insert a merchant and return it with its new id."""
    approved_at = now if status is MerchantStatus.APPROVED else None
    row = conn.execute(
        insert(MerchantRow)
        .values(name=name, status=status, approved_at=approved_at, created_at=now, updated_at=now)
        .returning(*_MERCHANTS.c)
    ).one()
    return _merchant(row)


def merchant_by_id(
    conn: Connection, merchant_id: int, *, for_update: bool = False
) -> Merchant | None:
    """The merchant, or None; `for_update` locks its row until the transaction ends."""
    query = select(_MERCHANTS).where(MerchantRow.id == merchant_id)
    row = conn.execute(query.with_for_update() if for_update else query).first()
    return _merchant(row) if row else None


def save_merchant(conn: Connection, merchant: Merchant, now: datetime) -> None:
    """Write back a merchant's status."""
    conn.execute(
        update(MerchantRow)
        .where(MerchantRow.id == merchant.id)
        .values(status=merchant.status, approved_at=merchant.approved_at, updated_at=now)
    )


def all_merchants(conn: Connection) -> list[Merchant]:
    """Every merchant, oldest first."""
    return [_merchant(row) for row in conn.execute(select(_MERCHANTS).order_by(MerchantRow.id))]
