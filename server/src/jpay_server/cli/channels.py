"""`jpay-server channels`: the catalogue of mobile-money networks and banks."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from jpay_server.cli.common import JsonFlag, emit, emit_rows, read, run
from jpay_server.domain.channels import Channel
from jpay_server.services import channels as service

app = typer.Typer(help="Payment channels.", no_args_is_help=True)
Code = Annotated[int, typer.Argument(help="The channel code.")]


def _record(c: Channel) -> dict[str, Any]:
    return {
        "code": c.code,
        "name": c.name,
        "type": c.type.value,
        "display_name": c.display_name,
        "is_active": c.is_active,
    }


@app.command("list")
def list_(as_json: JsonFlag = False) -> None:
    """List every channel, active or not."""
    _, found = read(lambda conn: service.list_channels(conn, None, False, 1, 10_000))
    columns = ["code", "name", "type", "display_name", "is_active"]
    emit_rows([_record(c) for c in found], columns, as_json, "channels")


@app.command()
def add(
    code: Code,
    name: Annotated[str, typer.Option("--name", help="The catalogue name, e.g. Equity Bank.")],
    type_: Annotated[str, typer.Option("--type", help="mobile_money, bank or internal.")],
    display_name: Annotated[
        str | None, typer.Option("--display-name", help="The name transactions show.")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Add a channel to the catalogue."""
    added = run(lambda _ctx, db: service.add_channel(db, code, name, type_, display_name))
    emit(_record(added), as_json)


@app.command()
def deactivate(code: Code, as_json: JsonFlag = False) -> None:
    """Stop accepting new payments on a channel."""
    emit(_record(run(lambda _ctx, db: service.set_channel_active(db, code, False))), as_json)


@app.command()
def activate(code: Code, as_json: JsonFlag = False) -> None:
    """Accept new payments on a channel again."""
    emit(_record(run(lambda _ctx, db: service.set_channel_active(db, code, True))), as_json)
