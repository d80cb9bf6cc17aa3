"""The email outbox: queue in the action's transaction; the worker claims and settles."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Connection, CursorResult, Table, delete, insert, select, update

from jpay_server.domain.mail import Email
from jpay_server.store.tables import EmailOutboxRow

_OUTBOX = cast(Table, EmailOutboxRow.__table__)
PENDING = "pending"


@dataclass(frozen=True, slots=True)
class QueuedEmail:
    """An outbox row as the worker and `mail list` see it."""

    id: int
    email: Email
    status: str
    attempts: int
    created_at: datetime
    sent_at: datetime | None
    last_error: str | None


def _queued(row: Any) -> QueuedEmail:
    return QueuedEmail(
        id=row.id,
        email=Email(row.kind, row.to_address, row.subject, row.body),
        status=row.status,
        attempts=row.attempts,
        created_at=row.created_at,
        sent_at=row.sent_at,
        last_error=row.last_error,
    )


def queue_email(conn: Connection, email: Email, now: datetime) -> int:
    """Add a message to the outbox, due now; returns its id."""
    values = {
        "kind": email.kind,
        "to_address": email.to,
        "subject": email.subject,
        "body": email.body,
        "status": PENDING,
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
    }
    return int(conn.execute(insert(_OUTBOX).values(values).returning(_OUTBOX.c.id)).scalar_one())


def claim_due(
    conn: Connection, now: datetime, lease_until: datetime, limit: int
) -> list[QueuedEmail]:
    """Due messages, each leased to this worker (a conditional update: one claimer wins)."""
    rows = conn.execute(
        select(_OUTBOX)
        .where(_OUTBOX.c.status == PENDING, _OUTBOX.c.next_attempt_at <= now)
        .order_by(_OUTBOX.c.next_attempt_at, _OUTBOX.c.id)
        .limit(limit)
    ).all()
    claimed = []
    for row in rows:
        result = conn.execute(
            update(_OUTBOX)
            .where(_OUTBOX.c.id == row.id, _OUTBOX.c.next_attempt_at == row.next_attempt_at)
            .values(next_attempt_at=lease_until, attempts=_OUTBOX.c.attempts + 1)
        )
        assert isinstance(result, CursorResult)
        if result.rowcount == 1:
            claimed.append(_queued(row))
    return claimed


def settle(
    conn: Connection,
    email_id: int,
    status: str,
    now: datetime,
    *,
    error: str | None = None,
    retry_at: datetime | None = None,
    wipe_body: bool = False,
) -> None:
    """Record an attempt's outcome: sent, logged, failed, or pending again at `retry_at`."""
    values: dict[str, Any] = {"status": status, "last_error": error, "next_attempt_at": retry_at}
    if status != PENDING:
        values["sent_at"] = now
    if wipe_body:  # delivered: the link token it carried need not be kept in clear
        values["body"] = ""
    conn.execute(update(_OUTBOX).where(_OUTBOX.c.id == email_id).values(values))


def recent_emails(conn: Connection, limit: int, to: str | None = None) -> list[QueuedEmail]:
    """The newest messages first, optionally to one address."""
    query = select(_OUTBOX).order_by(_OUTBOX.c.id.desc()).limit(limit)
    if to is not None:
        query = query.where(_OUTBOX.c.to_address == to)
    return [_queued(row) for row in conn.execute(query)]


def prune_emails(conn: Connection, before: datetime) -> None:
    """Forget settled messages older than `before`."""
    conn.execute(delete(_OUTBOX).where(_OUTBOX.c.created_at < before, _OUTBOX.c.status != PENDING))
