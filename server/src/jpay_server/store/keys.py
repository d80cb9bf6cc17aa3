"""Signing keys, stored sealed (AES-256-GCM under the server KEK) (Core functions)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, delete, insert, select

from jpay_server.store.tables import SigningKeyRow


@dataclass(frozen=True, slots=True)
class SealedKey:
    """A signing key as stored: its secret only in sealed form."""

    kid: str
    algorithm: str
    sealed: bytes
    created_at: datetime


def add_key(conn: Connection, key: SealedKey) -> None:
    """Insert a sealed key."""
    conn.execute(
        insert(SigningKeyRow).values(
            kid=key.kid, algorithm=key.algorithm, sealed=key.sealed, created_at=key.created_at
        )
    )


def all_keys(conn: Connection) -> list[SealedKey]:
    """Every key, oldest first."""
    rows = conn.execute(
        select(
            SigningKeyRow.kid,
            SigningKeyRow.algorithm,
            SigningKeyRow.sealed,
            SigningKeyRow.created_at,
        ).order_by(SigningKeyRow.created_at)
    )
    return [SealedKey(r.kid, r.algorithm, r.sealed, r.created_at) for r in rows]


def remove_key(conn: Connection, kid: str) -> bool:
    """Delete a key; False if there was none with that id."""
    result = conn.execute(delete(SigningKeyRow).where(SigningKeyRow.kid == kid))
    return bool(result.rowcount)
