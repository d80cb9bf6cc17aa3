"""Webhook store: per-app secrets (sealed), the event outbox, and delivery attempts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Connection, CursorResult, Table, delete, func, insert, select, update

from jpay_server.domain.webhooks import EventStatus, WebhookEvent
from jpay_server.store.tables import WebhookDeliveryRow, WebhookEventRow, WebhookSecretRow

_EVENTS = cast(Table, WebhookEventRow.__table__)
_DELIVERIES = cast(Table, WebhookDeliveryRow.__table__)


@dataclass(frozen=True, slots=True)
class SealedSecret:
    """A webhook secret as stored; `version` numbers an app's webhook secrets from 1."""

    version: int
    sealed: bytes
    created_at: datetime
    expires_at: datetime | None


@dataclass(frozen=True, slots=True)
class Attempt:
    """A delivery attempt as operators see it."""

    attempt: int
    started_at: datetime
    finished_at: datetime | None
    status_code: int | None
    error: str | None
    duration_ms: int | None
    response_excerpt: str | None = None


def _event(row: Any, attempts: int | None = None) -> WebhookEvent:
    return WebhookEvent(
        id=row.id,
        app_code=row.app_code,
        type=row.type,
        url=row.url,
        body=row.body,
        status=EventStatus(row.status),
        attempts=row.attempts if attempts is None else attempts,
        next_attempt_at=row.next_attempt_at,
        created_at=row.created_at,
        delivered_at=row.delivered_at,
        last_status=row.last_status,
        last_error=row.last_error,
    )


def add_event(conn: Connection, event: WebhookEvent) -> None:
    """Insert an event into the outbox, in the caller's transaction."""
    conn.execute(
        insert(WebhookEventRow).values(
            id=event.id,
            app_code=event.app_code,
            type=event.type,
            url=event.url,
            body=event.body,
            status=event.status.value,
            attempts=event.attempts,
            next_attempt_at=event.next_attempt_at,
            created_at=event.created_at,
        )
    )


def webhook_secrets_of(conn: Connection, app_code: int) -> list[SealedSecret]:
    """Every webhook secret of an app, oldest first."""
    rows = conn.execute(
        select(WebhookSecretRow.__table__)
        .where(WebhookSecretRow.app_code == app_code)
        .order_by(WebhookSecretRow.version)
    )
    return [SealedSecret(r.version, r.sealed, r.created_at, r.expires_at) for r in rows]


def add_webhook_secret(conn: Connection, app_code: int, secret: SealedSecret) -> None:
    """Insert a webhook secret."""
    conn.execute(
        insert(WebhookSecretRow).values(
            app_code=app_code,
            version=secret.version,
            sealed=secret.sealed,
            created_at=secret.created_at,
            expires_at=secret.expires_at,
        )
    )


def expire_webhook_secrets(conn: Connection, app_code: int, below: int, at: datetime) -> None:
    """End every live secret older than version `below` at `at` (never lengthening one)."""
    conn.execute(
        update(WebhookSecretRow)
        .where(
            WebhookSecretRow.app_code == app_code,
            WebhookSecretRow.version < below,
            (WebhookSecretRow.expires_at.is_(None)) | (WebhookSecretRow.expires_at > at),
        )
        .values(expires_at=at)
    )


def _attempt(row: Any) -> Attempt:
    return Attempt(
        row.attempt,
        row.started_at,
        row.finished_at,
        row.status_code,
        row.error,
        row.duration_ms,
        row.response_excerpt,
    )


def event_by_id(conn: Connection, event_id: str) -> WebhookEvent | None:
    """The event, or None."""
    row = conn.execute(select(_EVENTS).where(_EVENTS.c.id == event_id)).first()
    return _event(row) if row else None


def claim_due(
    conn: Connection,
    now: datetime,
    lease_until: datetime,
    limit: int,
    per_app: int | None = None,
) -> list[WebhookEvent]:
    """Lease due events to this worker, counting the attempt and recording its start.

    The lease (locked_until) outlives the delivery timeout; a worker that dies mid-POST
    simply lets it lapse, and the event is due again: a duplicate, never a gap. With
    `per_app`, no app gets more leases in flight (across every worker) than that, and an
    app at its cap is skipped, so its backlog cannot fill the claim.
    """
    pending = _EVENTS.c.status == EventStatus.PENDING.value
    leased: dict[int, int] = {}
    if per_app is not None:
        in_flight = (
            select(_EVENTS.c.app_code, func.count())
            .where(pending, _EVENTS.c.locked_until > now)
            .group_by(_EVENTS.c.app_code)
        )
        leased = {int(r[0]): int(r[1]) for r in conn.execute(in_flight)}
    full = [code for code, n in leased.items() if per_app is not None and n >= per_app]
    due = (
        select(_EVENTS)
        .where(
            pending,
            _EVENTS.c.next_attempt_at <= now,
            _EVENTS.c.locked_until.is_(None) | (_EVENTS.c.locked_until <= now),
        )
        .order_by(_EVENTS.c.next_attempt_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    if full:
        due = due.where(_EVENTS.c.app_code.not_in(full))
    claimed = []
    for row in conn.execute(due).all():
        if per_app is not None:
            if leased.get(row.app_code, 0) >= per_app:
                continue
            leased[row.app_code] = leased.get(row.app_code, 0) + 1
        claimed.append(_event(row, attempts=row.attempts + 1))
    if not claimed:
        return []
    # The rows are ours: locked (PostgreSQL) or under the one write lock (SQLite).
    conn.execute(
        update(_EVENTS)
        .where(_EVENTS.c.id.in_([e.id for e in claimed]))
        .values(attempts=_EVENTS.c.attempts + 1, locked_until=lease_until)
    )
    conn.execute(
        insert(_DELIVERIES),
        [{"event_id": e.id, "attempt": e.attempts, "started_at": now} for e in claimed],
    )
    return claimed


def finish_attempt(
    conn: Connection,
    event_id: str,
    attempt: int,
    status: EventStatus,
    next_attempt_at: datetime | None,
    result: Attempt,
) -> None:
    """Record an attempt's outcome and the event's new state."""
    conn.execute(
        update(_DELIVERIES)
        .where(_DELIVERIES.c.event_id == event_id, _DELIVERIES.c.attempt == attempt)
        .values(
            finished_at=result.finished_at,
            status_code=result.status_code,
            error=result.error,
            duration_ms=result.duration_ms,
            response_excerpt=result.response_excerpt,
        )
    )
    values: dict[str, object] = {
        "status": status.value,
        "next_attempt_at": next_attempt_at,
        "locked_until": None,
        "last_status": result.status_code,
        "last_error": result.error,
    }
    if status is EventStatus.DELIVERED:
        values["delivered_at"] = result.finished_at
    # Only the attempt the event is at: a lapsed lease's late outcome changes nothing.
    conn.execute(
        update(_EVENTS)
        .where(_EVENTS.c.id == event_id, _EVENTS.c.attempts == attempt)
        .values(values)
    )


def attempts_of(conn: Connection, event_id: str) -> list[Attempt]:
    """Every attempt at an event, in order."""
    rows = conn.execute(
        select(_DELIVERIES)
        .where(_DELIVERIES.c.event_id == event_id)
        .order_by(_DELIVERIES.c.attempt)
    )
    return [_attempt(row) for row in rows]


def recent_events(
    conn: Connection, app_code: int | None, status: EventStatus | None, limit: int
) -> list[WebhookEvent]:
    """The newest events, optionally of one app or in one state."""
    query = select(_EVENTS).order_by(_EVENTS.c.created_at.desc()).limit(limit)
    if app_code is not None:
        query = query.where(_EVENTS.c.app_code == app_code)
    if status is not None:
        query = query.where(_EVENTS.c.status == status.value)
    return [_event(row) for row in conn.execute(query)]


def make_due(conn: Connection, event_id: str, now: datetime) -> bool:
    """Make an event due now, whatever its state; False if it does not exist."""
    result = conn.execute(
        update(_EVENTS)
        .where(_EVENTS.c.id == event_id)
        .values(status=EventStatus.PENDING.value, next_attempt_at=now, locked_until=None)
    )
    assert isinstance(result, CursorResult)
    return result.rowcount == 1


def prune_events(conn: Connection, before: datetime) -> None:
    """Delete settled events (and their attempts) created before `before`."""
    conn.execute(
        delete(_EVENTS).where(
            _EVENTS.c.created_at < before, _EVENTS.c.status != EventStatus.PENDING.value
        )
    )
