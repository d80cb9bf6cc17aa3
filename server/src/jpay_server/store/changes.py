"""The access change log: what every process must apply to its access-state cache.

Writers bump one counter row and log the change in the same transaction. The counter's row
lock serialises those transactions, so `seq` order is commit order and a reader that has
applied everything up to `seq` can never later find a smaller one appear (a plain sequence
or autoincrement gives no such promise on PostgreSQL).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Connection, delete, insert, select, update

from jpay_server.store.tables import AccessChangeRow, AccessCounterRow

COUNTER_ID = 1


class ChangeKind(StrEnum):
    """What a logged change is about; its `ref` is that thing's id."""

    APP = "app"  # an app's state, allowlist, products or secrets
    MERCHANT = "merchant"  # a merchant's status
    FAMILY = "family"  # a refresh-token family was revoked
    KEYS = "keys"  # the signing keyring
    USER = "user"  # a merchant user's role, status or token epoch, or its removal


@dataclass(frozen=True, slots=True)
class Change:
    """One logged change; `kind` stays a string, as a newer release may log kinds we skip."""

    seq: int
    kind: str
    ref: str


_NEXT = (
    update(AccessCounterRow)
    .where(AccessCounterRow.id == COUNTER_ID)
    .values(seq=AccessCounterRow.seq + 1)
    .returning(AccessCounterRow.seq)
)


def record_change(conn: Connection, kind: ChangeKind, ref: str, now: datetime) -> int:
    """Log one change and return its sequence number."""
    seq = conn.execute(_NEXT).scalar()
    if seq is None:
        raise RuntimeError("access_counter row missing: run `jpay-server db upgrade`")
    conn.execute(insert(AccessChangeRow).values(seq=seq, kind=kind, ref=ref, created_at=now))
    return int(seq)


def change_head(conn: Connection) -> int:
    """The last sequence number handed out."""
    seq = conn.execute(
        select(AccessCounterRow.seq).where(AccessCounterRow.id == COUNTER_ID)
    ).scalar()
    return int(seq or 0)


def change_mark(conn: Connection, seq: int) -> tuple[str, str, datetime] | None:
    """What identifies change `seq` (kind, ref, time), to tell if the log was rewritten."""
    row = conn.execute(
        select(AccessChangeRow.kind, AccessChangeRow.ref, AccessChangeRow.created_at).where(
            AccessChangeRow.seq == seq
        )
    ).first()
    return (row[0], row[1], row[2]) if row is not None else None


def changes_since(conn: Connection, seq: int, limit: int = 1000) -> list[Change]:
    """Changes after `seq`, in order."""
    rows = conn.execute(
        select(AccessChangeRow.seq, AccessChangeRow.kind, AccessChangeRow.ref)
        .where(AccessChangeRow.seq > seq)
        .order_by(AccessChangeRow.seq)
        .limit(limit)
    )
    return [Change(s, k, r) for s, k, r in rows]


def prune_changes(conn: Connection, before: datetime) -> None:
    """Forget changes older than `before` (a process that far behind reloads everything)."""
    conn.execute(delete(AccessChangeRow).where(AccessChangeRow.created_at < before))
