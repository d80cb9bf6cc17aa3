"""Webhook repository: per-app secrets (sealed), the event outbox, and delivery attempts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from jpay_server.domain.webhooks import EventStatus, WebhookEvent
from jpay_server.store.tables import WebhookDeliveryRow, WebhookEventRow, WebhookSecretRow


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


def _event(row: WebhookEventRow) -> WebhookEvent:
    return WebhookEvent(
        id=row.id,
        app_code=row.app_code,
        type=row.type,
        url=row.url,
        body=row.body,
        status=EventStatus(row.status),
        attempts=row.attempts,
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
        .order_by(WebhookSecretRow.generation)
    )
    return [SealedSecret(r.generation, r.sealed, r.created_at, r.expires_at) for r in rows]


def add_webhook_secret(conn: Connection, app_code: int, secret: SealedSecret) -> None:
    """Insert a webhook secret."""
    conn.execute(
        insert(WebhookSecretRow).values(
            app_code=app_code,
            generation=secret.version,
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
            WebhookSecretRow.generation < below,
            (WebhookSecretRow.expires_at.is_(None)) | (WebhookSecretRow.expires_at > at),
        )
        .values(expires_at=at)
    )


class WebhookRepository:
    """Reads and writes webhook state inside the caller's transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def event(self, event_id: str) -> WebhookEvent | None:
        """The event, or None."""
        row = await self.session.get(WebhookEventRow, event_id, populate_existing=True)
        return _event(row) if row else None

    async def claim_due(
        self, now: datetime, lease_until: datetime, limit: int, per_app: int | None = None
    ) -> list[WebhookEvent]:
        """Lease due events to this worker, counting the attempt and recording its start.

        The lease (locked_until) outlives the delivery timeout; a worker that dies mid-POST
        simply lets it lapse, and the event is due again: a duplicate, never a gap. With
        `per_app`, no app gets more leases in flight (across every worker) than that, and an
        app at its cap is skipped, so its backlog cannot fill the claim.
        """
        leased: dict[int, int] = {}
        if per_app is not None:
            in_flight = (
                select(WebhookEventRow.app_code, func.count())
                .where(
                    WebhookEventRow.status == EventStatus.PENDING.value,
                    WebhookEventRow.locked_until > now,
                )
                .group_by(WebhookEventRow.app_code)
            )
            leased = {int(r[0]): int(r[1]) for r in (await self.session.execute(in_flight)).all()}
        full = [code for code, n in leased.items() if per_app is not None and n >= per_app]
        due = (
            select(WebhookEventRow)
            .where(
                WebhookEventRow.status == EventStatus.PENDING.value,
                WebhookEventRow.next_attempt_at <= now,
                (WebhookEventRow.locked_until.is_(None)) | (WebhookEventRow.locked_until <= now),
            )
            .order_by(WebhookEventRow.next_attempt_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        if full:
            due = due.where(WebhookEventRow.app_code.not_in(full))
        claimed = []
        for row in await self.session.scalars(due):
            if per_app is not None:
                if leased.get(row.app_code, 0) >= per_app:
                    continue
                leased[row.app_code] = leased.get(row.app_code, 0) + 1
            row.attempts += 1
            row.locked_until = lease_until
            self.session.add(
                WebhookDeliveryRow(event_id=row.id, attempt=row.attempts, started_at=now)
            )
            claimed.append(_event(row))
        await self.session.flush()
        return claimed

    async def finish_attempt(
        self,
        event_id: str,
        attempt: int,
        status: EventStatus,
        next_attempt_at: datetime | None,
        result: Attempt,
    ) -> None:
        """Record an attempt's outcome and the event's new state."""
        await self.session.execute(
            update(WebhookDeliveryRow)
            .where(WebhookDeliveryRow.event_id == event_id, WebhookDeliveryRow.attempt == attempt)
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
        await self.session.execute(
            update(WebhookEventRow)
            .where(WebhookEventRow.id == event_id, WebhookEventRow.attempts == attempt)
            .values(**values)
        )

    async def attempts(self, event_id: str) -> list[Attempt]:
        """Every attempt at an event, in order."""
        rows = await self.session.scalars(
            select(WebhookDeliveryRow)
            .where(WebhookDeliveryRow.event_id == event_id)
            .order_by(WebhookDeliveryRow.attempt)
        )
        return [
            Attempt(
                r.attempt,
                r.started_at,
                r.finished_at,
                r.status_code,
                r.error,
                r.duration_ms,
                r.response_excerpt,
            )
            for r in rows
        ]

    async def recent(
        self, app_code: int | None, status: EventStatus | None, limit: int
    ) -> list[WebhookEvent]:
        """The newest events, optionally of one app or in one state."""
        query = select(WebhookEventRow).order_by(WebhookEventRow.created_at.desc()).limit(limit)
        if app_code is not None:
            query = query.where(WebhookEventRow.app_code == app_code)
        if status is not None:
            query = query.where(WebhookEventRow.status == status.value)
        return [_event(row) for row in await self.session.scalars(query)]

    async def redeliver(self, event_id: str, now: datetime) -> bool:
        """Make an event due now, whatever its state; False if it does not exist."""
        row = await self.session.get(WebhookEventRow, event_id)
        if row is None:
            return False
        row.status = EventStatus.PENDING.value
        row.next_attempt_at = now
        row.locked_until = None
        await self.session.flush()  # autoflush is off: later reads must see this
        return True

    async def prune(self, before: datetime) -> None:
        """Delete settled events (and their attempts) created before `before`."""
        await self.session.execute(
            delete(WebhookEventRow).where(
                WebhookEventRow.created_at < before,
                WebhookEventRow.status != EventStatus.PENDING.value,
            )
        )
