"""`jpay-server mail list`: the email outbox, newest first (development's mailbox)."""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer

from jpay_server.cli.common import JsonFlag, emit_rows, run
from jpay_server.services.mail import list_mail
from jpay_server.store.mail import QueuedEmail

app = typer.Typer(help="Read the email outbox.", no_args_is_help=True)
COLUMNS = ["id", "created_at", "to", "kind", "subject", "status", "attempts", "last_error", "body"]
TABLE = ["id", "created_at", "to", "subject", "status"]


def mail_record(queued: QueuedEmail) -> dict[str, Any]:
    """A message as the CLI prints it (a sent message's body is wiped: its link was used up)."""
    return {
        "id": queued.id,
        "created_at": queued.created_at,
        "to": queued.email.to,
        "kind": queued.email.kind,
        "subject": queued.email.subject,
        "status": queued.status,
        "attempts": queued.attempts,
        "last_error": queued.last_error,
        "body": queued.email.body,
    }


@app.command("list")
def list_(
    to: Annotated[str | None, typer.Option("--to", help="Only messages to this address.")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=200)] = 20,
    bodies: Annotated[bool, typer.Option("--bodies", help="Print each message in full.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """List emails the server queued, newest first; --bodies shows their text and links."""
    found = run(lambda _ctx, db: list_mail(db, limit, to))
    rows = [mail_record(q) for q in found]
    if bodies and not as_json:
        for row in rows:
            sys.stdout.write(
                f"#{row['id']} {row['status']} to {row['to']}: {row['subject']}\n{row['body']}\n"
            )
        return
    emit_rows(rows, COLUMNS if as_json else TABLE, as_json, "emails")
