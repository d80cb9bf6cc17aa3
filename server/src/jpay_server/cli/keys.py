"""`jpay-server keys`: rotate and list token signing keys."""

from __future__ import annotations

from dataclasses import asdict

import typer

from jpay_server.cli.common import JsonFlag, emit, emit_rows, run
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
