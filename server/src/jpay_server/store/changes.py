"""The access change log: what every process must apply to its access-state cache.

Writers bump one counter row and log the change in the same transaction. The counter's row
lock serialises those transactions, so `seq` order is commit order and a reader that has
applied everything up to `seq` can never later find a smaller one appear (a plain sequence
or autoincrement gives no such promise on PostgreSQL).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from jpay_server.store.tables import AccessChangeRow, AccessCounterRow

COUNTER_ID = 1


@dataclass(frozen=True, slots=True)
class Change:
    """One logged change: `kind` is app, merchant, family or keys; `ref` the id."""

    seq: int
    kind: str
    ref: str


class ChangeRepository:
    """Appends to and reads the change log inside the caller's transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def record(self, kind: str, ref: str, now: datetime) -> int:
        """Log one change and return its sequence number."""
        seq = await self.session.scalar(
            update(AccessCounterRow)
            .where(AccessCounterRow.id == COUNTER_ID)
            .values(seq=AccessCounterRow.seq + 1)
            .returning(AccessCounterRow.seq)
        )
        if seq is None:
            raise RuntimeError("access_counter row missing: run `jpay-server db upgrade`")
        self.session.add(AccessChangeRow(seq=seq, kind=kind, ref=ref, created_at=now))
        await self.session.flush()
        return int(seq)

    async def head(self) -> int:
        """The last sequence number handed out."""
        seq = await self.session.scalar(
            select(AccessCounterRow.seq).where(AccessCounterRow.id == COUNTER_ID)
        )
        return int(seq or 0)

    async def since(self, seq: int, limit: int = 1000) -> list[Change]:
        """Changes after `seq`, in order."""
        query = (
            select(AccessChangeRow)
            .where(AccessChangeRow.seq > seq)
            .order_by(AccessChangeRow.seq)
            .limit(limit)
        )
        return [Change(r.seq, r.kind, r.ref) for r in await self.session.scalars(query)]

    async def prune(self, before: datetime) -> None:
        """Forget changes older than `before` (a process that far behind reloads everything)."""
        await self.session.execute(
            delete(AccessChangeRow).where(AccessChangeRow.created_at < before)
        )
