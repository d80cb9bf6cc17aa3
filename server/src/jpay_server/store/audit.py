"""The audit log table: append in the caller's transaction, read a merchant's newest first."""

from __future__ import annotations

from sqlalchemy import Connection, insert, select

from jpay_server.domain.audit import Actor, ActorKind, AuditEntry, scrub
from jpay_server.store.tables import AuditEntryRow

_ROW = AuditEntryRow.__table__


def add_audit_entry(conn: Connection, entry: AuditEntry) -> int:
    """Append one entry (details scrubbed of anything secret) and return its id."""
    new_id = conn.execute(
        insert(AuditEntryRow)
        .values(
            merchant_id=entry.merchant_id,
            actor=entry.actor.kind.value,
            actor_id=entry.actor.id,
            action=entry.action,
            target=entry.target,
            client_ip=entry.client_ip,
            details=scrub(entry.details),
            created_at=entry.created_at,
        )
        .returning(AuditEntryRow.id)
    ).scalar_one()
    return int(new_id)


def audit_entries(
    conn: Connection, merchant_id: int | None, limit: int, before_id: int | None = None
) -> list[AuditEntry]:
    """Entries newest first, of one merchant or of all; `before_id` pages back."""
    query = select(_ROW).order_by(AuditEntryRow.id.desc()).limit(limit)
    if merchant_id is not None:
        query = query.where(AuditEntryRow.merchant_id == merchant_id)
    if before_id is not None:
        query = query.where(AuditEntryRow.id < before_id)
    return [
        AuditEntry(
            merchant_id=r.merchant_id,
            actor=Actor(ActorKind(r.actor), r.actor_id),
            action=r.action,
            target=r.target,
            created_at=r.created_at,
            client_ip=r.client_ip,
            details=r.details,
            id=r.id,
        )
        for r in conn.execute(query)
    ]
