"""Signing-key repository: keys are stored sealed (AES-256-GCM under the server KEK)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from jpay_server.store.tables import SigningKeyRow


@dataclass(frozen=True, slots=True)
class SealedKey:
    """A signing key as stored: its secret only in sealed form."""

    kid: str
    algorithm: str
    sealed: bytes
    created_at: datetime


class KeyRepository:
    """Reads and writes signing keys inside the caller's transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, key: SealedKey) -> None:
        """Insert a sealed key."""
        self.session.add(
            SigningKeyRow(
                kid=key.kid, algorithm=key.algorithm, sealed=key.sealed, created_at=key.created_at
            )
        )
        await self.session.flush()

    async def remove(self, kid: str) -> bool:
        """Delete a key; False if there was none with that id."""
        result = await self.session.execute(delete(SigningKeyRow).where(SigningKeyRow.kid == kid))
        return bool(getattr(result, "rowcount", 0))

    async def all(self) -> list[SealedKey]:
        """Every key, oldest first."""
        rows = await self.session.scalars(select(SigningKeyRow).order_by(SigningKeyRow.created_at))
        return [SealedKey(r.kid, r.algorithm, r.sealed, r.created_at) for r in rows]
