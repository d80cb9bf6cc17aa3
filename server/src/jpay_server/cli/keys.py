"""`jpay-server keys`: rotate, list and retire token signing keys."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

import typer

from jpay_server.cli.common import JsonFlag, emit, emit_rows, run, stderr
from jpay_server.services import keys as service

app = typer.Typer(help="Manage token signing keys.", no_args_is_help=True)


@app.command()
def rotate(as_json: JsonFlag = False) -> None:
    """Add a signing key; tokens signed by older keys keep verifying until they expire."""
    emit(asdict(run(service.rotate_key)), as_json)


@app.command("list")
def list_(as_json: JsonFlag = False) -> None:
    """List signing keys and their status (never their secrets)."""
    keys = [asdict(k) for k in run(service.list_keys)]
    emit_rows(keys, ["kid", "algorithm", "created_at", "status"], as_json, "keys")


@app.command()
def retire(
    kid: Annotated[str, typer.Argument(help="The key's id, as `keys list` shows it.")],
    as_json: JsonFlag = False,
) -> None:
    """Retire a compromised key: its tokens stop verifying on every server within a second."""
    retired = run(lambda ctx, db: service.retire_key(ctx, db, kid))
    emit(asdict(retired), as_json)
    if not as_json:
        stderr.print("Apps whose tokens it signed must log in again with their credentials.")
