"""Webhook use cases: per-app secrets, the outbox, delivery bookkeeping, redelivery."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection
from standardwebhooks.webhooks import Webhook

from jpay_server.domain import webhooks as rules
from jpay_server.domain.credentials import check_overlap
from jpay_server.domain.payments import Payment, to_wire
from jpay_server.domain.secrets import seal, unseal
from jpay_server.domain.webhooks import Delivery, EventStatus, EventType, WebhookEvent
from jpay_server.errors import InvalidRequest, NotFound
from jpay_server.services.context import Context
from jpay_server.store import webhooks as store
from jpay_server.store.db import Database
from jpay_server.store.webhooks import (
    Attempt,
    SealedSecret,
    add_event,
    add_webhook_secret,
    expire_webhook_secrets,
    webhook_secrets_of,
)

LEASE_MARGIN = timedelta(seconds=5)


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A leased event, with the secrets to sign it: everything the worker needs to POST."""

    event: WebhookEvent
    attempt: int
    secrets: tuple[str, ...]

    def __repr__(self) -> str:
        return f"Outgoing(event={self.event.id!r}, attempt={self.attempt}, secrets=<redacted>)"

    def headers(self, timestamp: datetime) -> dict[str, str]:
        """Standard Webhooks headers: one v1 signature per live secret (rotation overlap)."""
        signatures = " ".join(
            Webhook(secret).sign(self.event.id, timestamp, self.event.body)
            for secret in self.secrets
        )
        return {
            "webhook-id": self.event.id,
            "webhook-timestamp": str(int(timestamp.timestamp())),
            "webhook-signature": signatures,
            "content-type": "application/json",
            "user-agent": "jpay-webhooks/1",
        }


def _context(app_code: int, version: int) -> bytes:
    return f"jpay/webhook-secret/{app_code}/{version}".encode()


def _add_secret(ctx: Context, conn: Connection, app_code: int, version: int) -> str:
    secret = rules.new_secret(ctx.rand)
    sealed = seal(ctx.keys.kek, secret.encode(), _context(app_code, version), ctx.rand(12))
    add_webhook_secret(conn, app_code, SealedSecret(version, sealed, ctx.clock(), None))
    return secret


def create_webhook_secret(ctx: Context, conn: Connection, app_code: int) -> str:
    """An app's first webhook secret, to be shown once (a step of a write command)."""
    return _add_secret(ctx, conn, app_code, 1)


def rotate_webhook_secret(ctx: Context, conn: Connection, app_code: int, overlap: int = 0) -> str:
    """A new webhook secret; the old ones keep signing (alongside) for `overlap` seconds."""
    check_overlap(overlap)
    version = max((s.version for s in webhook_secrets_of(conn, app_code)), default=0) + 1
    expire_webhook_secrets(conn, app_code, version, ctx.clock() + timedelta(seconds=overlap))
    return _add_secret(ctx, conn, app_code, version)


def _signing_secrets(ctx: Context, conn: Connection, app_code: int) -> tuple[str, ...]:
    now = ctx.clock()
    stored = webhook_secrets_of(conn, app_code)
    live = [s for s in stored if s.expires_at is None or now < s.expires_at]
    if not live:  # an app made before webhooks existed: give it one (rotate to reveal it)
        return (_add_secret(ctx, conn, app_code, len(stored) + 1),)
    return tuple(
        unseal(ctx.keys.kek, s.sealed, _context(app_code, s.version)).decode() for s in live
    )


def new_event(
    ctx: Context, app_code: int, url: str, event_type: EventType, data: dict[str, Any]
) -> WebhookEvent:
    """An event ready for the outbox, due at the schedule's first delay."""
    now = ctx.clock()
    first = timedelta(seconds=ctx.settings.webhook_retry_schedule[0])
    return WebhookEvent(
        id=rules.new_event_id(ctx.rand),
        app_code=app_code,
        type=event_type.value,
        url=url,
        body=rules.envelope(event_type, data, now),
        status=EventStatus.PENDING,
        attempts=0,
        next_attempt_at=now + first,
        created_at=now,
    )


def emit(
    ctx: Context,
    conn: Connection,
    app_code: int,
    url: str,
    event_type: EventType,
    data: dict[str, Any],
) -> WebhookEvent:
    """Put an event in the outbox, in the caller's write command (so it is never lost)."""
    event = new_event(ctx, app_code, url, event_type, data)
    add_event(conn, event)
    return event


def emit_payment_event(ctx: Context, conn: Connection, payment: Payment) -> WebhookEvent:
    """Tell the merchant a payment reached its final state, at its callback_url."""
    event_type = rules.payment_event(payment)
    return emit(ctx, conn, payment.app_code, payment.callback_url, event_type, to_wire(payment))


def security_event(
    ctx: Context, app_code: int, webhook_url: str | None, family_id: str, client_ip: str | None
) -> WebhookEvent | None:
    """The event telling a merchant a refresh token was reused (None without a webhook_url)."""
    if webhook_url is None:
        return None
    data = {"app_code": app_code, "family_id": family_id, "client_ip": client_ip}
    return new_event(ctx, app_code, webhook_url, EventType.REFRESH_TOKEN_REUSED, data)


async def claim_due(
    ctx: Context, database: Database, limit: int, per_app: int | None = None
) -> list[Outgoing]:
    """Lease due events for delivery by this worker (at most `per_app` in flight per app)."""
    now = ctx.clock()
    # Long enough for an attempt to finish (timeout) and be recorded; a worker that dies
    # mid-POST leaves the lease to lapse, and the event is delivered again (never lost).
    lease_until = now + timedelta(seconds=2 * ctx.settings.webhook_timeout) + LEASE_MARGIN

    def claim(conn: Connection) -> list[Outgoing]:
        events = store.claim_due(conn, now, lease_until, limit, per_app)
        secrets = {code: _signing_secrets(ctx, conn, code) for code in {e.app_code for e in events}}
        return [Outgoing(e, e.attempts, secrets[e.app_code]) for e in events]

    return await database.write(claim)


async def finish_delivery(
    ctx: Context, database: Database, outgoing: Outgoing, delivery: Delivery
) -> EventStatus:
    """Record an attempt and schedule the next one (with jitter) or settle the event."""
    now = ctx.clock()
    jitter = int.from_bytes(ctx.rand(2)) / 65535 * 2 - 1
    schedule = ctx.settings.webhook_retry_schedule
    status, next_at = rules.after_attempt(outgoing.attempt, delivery, schedule, now, jitter)
    result = Attempt(
        outgoing.attempt,
        now,
        now,
        delivery.status_code,
        delivery.error,
        delivery.duration_ms,
        delivery.excerpt,
    )
    event_id, attempt = outgoing.event.id, outgoing.attempt
    await database.write(
        lambda conn: store.finish_attempt(conn, event_id, attempt, status, next_at, result)
    )
    return status


def event_status(status: str | None) -> EventStatus | None:
    """The state a listing asks for (None: any), or InvalidRequest."""
    try:
        return EventStatus(status) if status else None
    except ValueError:
        raise InvalidRequest(
            "status must be one of: pending, delivered, failed, gone", field="status"
        ) from None


async def list_events(
    database: Database, app_code: int | None, status: str | None, limit: int
) -> list[WebhookEvent]:
    """The newest events, optionally of one app or in one state."""
    state = event_status(status)
    return await database.read(lambda conn: store.recent_events(conn, app_code, state, limit))


def event_with_attempts(conn: Connection, event_id: str) -> tuple[WebhookEvent, list[Attempt]]:
    """An event and every attempt to deliver it, or NotFound (a step of a read or command)."""
    event = store.event_by_id(conn, event_id)
    if event is None:
        raise NotFound(f"webhook event {event_id} not found", code="event_not_found")
    return event, store.attempts_of(conn, event_id)


async def event_attempts(database: Database, event_id: str) -> tuple[WebhookEvent, list[Attempt]]:
    """An event and every attempt to deliver it."""
    return await database.read(lambda conn: event_with_attempts(conn, event_id))


def make_due(ctx: Context, conn: Connection, event_id: str) -> WebhookEvent:
    """Make an event due now (one more attempt), or NotFound (a step of a write command)."""
    if not store.make_due(conn, event_id, ctx.clock()):
        raise NotFound(f"webhook event {event_id} not found", code="event_not_found")
    event = store.event_by_id(conn, event_id)
    assert event is not None
    return event


async def redeliver(ctx: Context, database: Database, event_id: str) -> WebhookEvent:
    """Send an event again now (one more attempt), whatever happened to it before."""
    return await database.write(lambda conn: make_due(ctx, conn, event_id))


def event_payload(event: WebhookEvent) -> dict[str, Any]:
    """The event's JSON body, parsed."""
    payload: dict[str, Any] = json.loads(event.body)
    return payload
