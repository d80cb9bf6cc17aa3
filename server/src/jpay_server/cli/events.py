"""`jpay-server events`: security events (refresh-token reuse and replays)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

import typer

from jpay_server.cli.common import JsonFlag, emit_rows, run
from jpay_server.services.events import list_events

app = typer.Typer(help="Security events.", no_args_is_help=True)


@app.command("list")
def list_(
    app_code: Annotated[int | None, typer.Option("--app", help="Only this app's.")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=10_000)] = 100,
    as_json: JsonFlag = False,
) -> None:
    """List security events, newest first."""
    events = [asdict(e) for e in run(lambda _ctx, db: list_events(db, app_code, limit))]
    columns = [
        "id",
        "created_at",
        "kind",
        "app_code",
        "merchant_id",
        "family_id",
        "client_ip",
        "detail",
    ]
    emit_rows(events, columns, as_json, "events")
