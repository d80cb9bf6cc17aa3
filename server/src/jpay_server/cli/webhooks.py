"""`jpay-server webhooks`: list events and their delivery attempts, redeliver."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from jpay_server.cli.common import JsonFlag, emit, emit_rows, run
from jpay_server.domain.webhooks import WebhookEvent
from jpay_server.services import webhooks as service
from jpay_server.services.context import Context
from jpay_server.store.db import Database

app = typer.Typer(help="Webhook events and deliveries.", no_args_is_help=True)
EventId = Annotated[str, typer.Argument(help="The event id (msg_…), also its webhook-id.")]


def _record(event: WebhookEvent) -> dict[str, Any]:
    return {
        "event_id": event.id,
        "type": event.type,
        "app_code": event.app_code,
        "url": event.url,
        "status": event.status,
        "attempts": event.attempts,
        "last_status": event.last_status,
        "last_error": event.last_error,
        "next_attempt_at": event.next_attempt_at,
        "created_at": event.created_at,
        "delivered_at": event.delivered_at,
    }


@app.command("list")
def list_(
    app_code: Annotated[int | None, typer.Option("--app", help="Only this app's.")] = None,
    status: Annotated[
        str | None, typer.Option("--status", help="pending, delivered, failed or gone.")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=10_000)] = 50,
    as_json: JsonFlag = False,
) -> None:
    """List webhook events, newest first."""
    events = run(lambda _ctx, db: service.list_events(db, app_code, status, limit))
    columns = ["event_id", "type", "app_code", "status", "attempts", "last_status", "created_at"]
    emit_rows([_record(e) for e in events], columns, as_json, "events")


@app.command()
def show(event_id: EventId, as_json: JsonFlag = False) -> None:
    """Show an event and every attempt to deliver it."""

    async def load(_ctx: Context, database: Database) -> dict[str, Any]:
        event, attempts = await service.event_attempts(database, event_id)
        rows = [
            {
                "attempt": a.attempt,
                "started_at": a.started_at.isoformat(),
                "status_code": a.status_code,
                "error": a.error,
                "duration_ms": a.duration_ms,
            }
            for a in attempts
        ]
        return _record(event) | {"deliveries": rows}

    record = run(load)
    if as_json:
        emit(record, True)
        return
    deliveries = record.pop("deliveries")
    emit(record, False)
    emit_rows(
        deliveries, ["attempt", "started_at", "status_code", "error", "duration_ms"], False, ""
    )


@app.command()
def redeliver(event_id: EventId, as_json: JsonFlag = False) -> None:
    """Send an event again now, whatever happened to it before."""
    emit(_record(run(lambda ctx, db: service.redeliver(ctx, db, event_id))), as_json)
