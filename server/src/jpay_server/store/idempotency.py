"""Idempotency-key repository."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Connection, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from jpay_server.domain.idempotency import Remembered
from jpay_server.store.tables import IdempotencyKeyRow

# A key is remembered for 24 hours; an older one is free again even before housekeeping runs.
TTL = timedelta(hours=24)


class IdempotencyRepository:
    """Remembers successful responses by (app, key) inside the caller's transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, app_code: int, key: str, since: datetime) -> Remembered | None:
        """The response remembered under this key since `since`, or None."""
        row = await self.session.scalar(
            select(IdempotencyKeyRow).where(
                IdempotencyKeyRow.app_code == app_code,
                IdempotencyKeyRow.key == key,
                IdempotencyKeyRow.created_at >= since,
            )
        )
        if row is None:
            return None
        return Remembered(row.endpoint, row.fingerprint, row.status_code, row.body)

    async def remember(
        self, app_code: int, key: str, remembered: Remembered, now: datetime
    ) -> bool:
        """Keep a response; False if another request took the key first (the caller rolls back)."""
        await self.session.execute(
            delete(IdempotencyKeyRow).where(
                IdempotencyKeyRow.app_code == app_code,
                IdempotencyKeyRow.key == key,
                IdempotencyKeyRow.created_at < now - TTL,
            )
        )
        try:
            async with self.session.begin_nested():
                self.session.add(
                    IdempotencyKeyRow(
                        app_code=app_code,
                        key=key,
                        endpoint=remembered.endpoint,
                        fingerprint=remembered.fingerprint,
                        status_code=remembered.status_code,
                        body=remembered.body,
                        created_at=now,
                    )
                )
        except IntegrityError:
            return False
        return True


def prune_keys(conn: Connection, before: datetime) -> None:
    """Forget keys older than `before`."""
    conn.execute(delete(IdempotencyKeyRow).where(IdempotencyKeyRow.created_at < before))
