"""The merchant API's webhook use cases: the security-events URL, the secret, the events.

Payment events go to each payment's `callback_url`; security events and test events go to
the app's `webhook_url`. Every event of an app is listed with each delivery attempt.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection

from jpay_server.domain.apps import App
from jpay_server.domain.members import Member
from jpay_server.domain.webhooks import EventType, WebhookEvent
from jpay_server.errors import Conflict, NotFound
from jpay_server.services import apps as app_service
from jpay_server.services import webhooks as service
from jpay_server.services.apps import AppCredentials
from jpay_server.services.audit import record_by
from jpay_server.services.context import Context
from jpay_server.services.merchant_apps import origin
from jpay_server.store import webhooks as store
from jpay_server.store.db import Database
from jpay_server.store.webhooks import Attempt

MAX_EVENTS = 100


@dataclass(frozen=True, slots=True)
class EventWithAttempts:
    """An event and every attempt to deliver it, oldest attempt first."""

    event: WebhookEvent
    attempts: tuple[Attempt, ...]


def _not_found(event_id: str) -> NotFound:
    return NotFound(f"webhook event {event_id} not found", code="event_not_found")


async def set_webhook_url(
    ctx: Context,
    database: Database,
    member: Member,
    client_ip: str | None,
    app_code: int,
    url: str | None,
) -> App:
    """Where the app's security events (and test events) go; None: nowhere."""
    by = origin(member, client_ip)
    return await app_service.set_webhook_url(ctx, database, app_code, url, by)


async def rotate_webhook_secret(
    ctx: Context,
    database: Database,
    member: Member,
    client_ip: str | None,
    app_code: int,
    overlap_seconds: int,
) -> AppCredentials:
    """A new webhook secret, shown once; both sign every webhook during the overlap."""
    by = origin(member, client_ip)
    return await app_service.rotate_app_webhook_secret(ctx, database, app_code, overlap_seconds, by)


async def events(
    ctx: Context,
    database: Database,
    member: Member,
    app_code: int,
    status: str | None,
    limit: int,
) -> list[EventWithAttempts]:
    """The app's newest events, each with its delivery attempts."""
    await app_service.get_app(database, app_code, by=origin(member, None))
    state = service.event_status(status)

    def query(conn: Connection) -> list[EventWithAttempts]:
        found = store.recent_events(conn, app_code, state, min(limit, MAX_EVENTS))
        return [EventWithAttempts(e, tuple(store.attempts_of(conn, e.id))) for e in found]

    return await database.read(query)


async def redeliver(
    ctx: Context,
    database: Database,
    member: Member,
    client_ip: str | None,
    app_code: int,
    event_id: str,
) -> WebhookEvent:
    """Deliver one of the app's events again now (one more attempt)."""
    by = origin(member, client_ip)
    app = await app_service.get_app(database, app_code, by=by)

    def command(conn: Connection) -> WebhookEvent:
        event = _own_event(conn, app, event_id)
        redone = service.make_due(ctx, conn, event.id)
        details = {"event_id": event.id, "type": event.type}
        target = f"app:{app_code}"
        record_by(conn, ctx.clock(), by, app.merchant_id, "webhook.redeliver", target, details)
        return redone

    return await database.write(command)


def _own_event(conn: Connection, app: App, event_id: str) -> WebhookEvent:
    event = store.event_by_id(conn, event_id)
    if event is None or event.app_code != app.app_code:
        raise _not_found(event_id)
    return event


async def send_test_event(
    ctx: Context, database: Database, member: Member, client_ip: str | None, app_code: int
) -> WebhookEvent:
    """Queue a signed `webhook.test` event to the app's webhook_url, to check the receiver."""
    by = origin(member, client_ip)
    app = await app_service.get_app(database, app_code, by=by)
    if app.webhook_url is None:
        raise Conflict("The app has no webhook_url: set one first", code="webhook_url_not_set")
    data = {"app_code": app.app_code, "message": "A test event from the merchant API."}
    url = app.webhook_url

    def command(conn: Connection) -> WebhookEvent:
        event = service.emit(ctx, conn, app.app_code, url, EventType.TEST, data)
        details = {"event_id": event.id}
        target = f"app:{app_code}"
        record_by(conn, ctx.clock(), by, app.merchant_id, "webhook.test", target, details)
        return event

    return await database.write(command)
