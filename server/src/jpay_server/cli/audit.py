"""`jpay-server audit list`: the changes made to merchants' accounts, newest first."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from jpay_server.cli.common import JsonFlag, emit_rows, run
from jpay_server.domain.audit import AuditEntry
from jpay_server.services.audit import MAX_PAGE, list_audit

app = typer.Typer(help="Read the audit log.", no_args_is_help=True)
COLUMNS = ["id", "created_at", "merchant_id", "actor", "action", "target", "client_ip", "details"]
TABLE = ["id", "created_at", "actor", "action", "target"]  # --json has every column


def audit_record(entry: AuditEntry) -> dict[str, Any]:
    """An entry as the CLI prints it."""
    return {
        "id": entry.id,
        "created_at": entry.created_at,
        "merchant_id": entry.merchant_id,
        "actor": str(entry.actor),
        "action": entry.action,
        "target": entry.target,
        "client_ip": entry.client_ip,
        "details": dict(entry.details),
    }


@app.command("list")
def list_(
    merchant: Annotated[
        int | None, typer.Option("--merchant", help="Only this merchant's entries.")
    ] = None,
    limit: Annotated[
        int, typer.Option("--limit", min=1, max=MAX_PAGE, help="How many, newest first.")
    ] = 50,
    as_json: JsonFlag = False,
) -> None:
    """List audit entries, newest first."""
    entries = run(lambda _ctx, db: list_audit(db, merchant, limit))
    rows = [audit_record(e) for e in entries]
    emit_rows(rows, COLUMNS if as_json else TABLE, as_json, "entries")
