"""Product grants per merchant."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import Connection, delete, insert, select

from jpay_server.store.tables import ProductGrantRow


def grants_of(conn: Connection, merchant_id: int) -> frozenset[str]:
    """The products granted to a merchant (as stored, before the environment's rule)."""
    rows = conn.execute(
        select(ProductGrantRow.product).where(ProductGrantRow.merchant_id == merchant_id)
    )
    return frozenset(rows.scalars())


def set_grants(conn: Connection, merchant_id: int, products: Iterable[str], now: datetime) -> None:
    """Replace a merchant's grants (kept products keep their grant time)."""
    wanted = set(products)
    current = grants_of(conn, merchant_id)
    gone = current - wanted
    if gone:
        conn.execute(
            delete(ProductGrantRow).where(
                ProductGrantRow.merchant_id == merchant_id, ProductGrantRow.product.in_(gone)
            )
        )
    new = sorted(wanted - current)
    if new:
        conn.execute(
            insert(ProductGrantRow),
            [{"merchant_id": merchant_id, "product": p, "granted_at": now} for p in new],
        )
