"""The audit log: `record` writes an entry in the caller's transaction; readers list them.

Usage from a write command (new store style)::

    record(conn, ctx.clock(), Actor.user(member.user_id), member.merchant_id,
           "user.invite", f"user:{user_id}", client_ip=ip, details={"role": "viewer"})

or `record_by(conn, now, by, ...)` for a change asked for by an `Origin`.
The entry commits or rolls back with the change it describes.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from jpay_server.domain.audit import BY_OPERATOR, OPERATOR, Actor, AuditEntry, Origin
from jpay_server.store.audit import add_audit_entry, audit_entries
from jpay_server.store.db import Database

__all__ = [
    "BY_OPERATOR",
    "OPERATOR",
    "Actor",
    "Origin",
    "list_audit",
    "record",
    "record_by",
    "record_own",
]
MAX_PAGE = 200


def record(
    conn: Connection,
    now: datetime,
    actor: Actor,
    merchant_id: int | None,
    action: str,
    target: str,
    *,
    client_ip: str | None = None,
    details: Mapping[str, Any] | None = None,
) -> int:
    """Write one audit entry in the transaction `conn` is in; returns its id."""
    entry = AuditEntry(merchant_id, actor, action, target, now, client_ip, details or {})
    return add_audit_entry(conn, entry)


def record_by(
    conn: Connection,
    now: datetime,
    by: Origin,
    merchant_id: int | None,
    action: str,
    target: str,
    details: Mapping[str, Any] | None = None,
) -> int:
    """`record` for a change asked for by `by` (its actor and client IP)."""
    return record(
        conn,
        now,
        by.actor,
        merchant_id,
        action,
        target,
        client_ip=by.client_ip,
        details=details,
    )


def record_own(
    conn: Connection,
    now: datetime,
    user_id: int,
    merchant_id: int,
    action: str,
    *,
    client_ip: str | None = None,
    details: Mapping[str, Any] | None = None,
) -> int:
    """`record` for a user acting on their own account: actor and target are the user."""
    actor, target = Actor.user(user_id), f"user:{user_id}"
    return record(
        conn, now, actor, merchant_id, action, target, client_ip=client_ip, details=details
    )


async def list_audit(
    database: Database, merchant_id: int | None, limit: int = 50, before_id: int | None = None
) -> list[AuditEntry]:
    """Entries newest first, of one merchant (None: of all, for the operator)."""
    limit = max(1, min(limit, MAX_PAGE))
    return await database.read(lambda conn: audit_entries(conn, merchant_id, limit, before_id))
