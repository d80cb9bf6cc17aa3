"""`jpay-server db`: migrations."""

from __future__ import annotations

import typer

from jpay_server.cli.common import JsonFlag, emit, run
from jpay_server.services.context import Context
from jpay_server.services.keys import ensure_signing_key
from jpay_server.services.schema import upgrade as upgrade_schema
from jpay_server.store import migrate
from jpay_server.store.db import Database

app = typer.Typer(help="Database schema.", no_args_is_help=True)


@app.command()
def upgrade(as_json: JsonFlag = False) -> None:
    """Apply every migration and create the first signing key if there is none."""

    async def work(ctx: Context, database: Database) -> str:
        revision = await upgrade_schema(database)
        await ensure_signing_key(ctx, database)
        return revision

    emit({"revision": run(work)}, as_json)


@app.command()
def current(as_json: JsonFlag = False) -> None:
    """Show the database's revision and the newest one this code knows."""

    async def work(_ctx: Context, database: Database) -> str | None:
        return await migrate.current_revision(database)

    emit({"revision": run(work), "head": migrate.head_revision()}, as_json)
