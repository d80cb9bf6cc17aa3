"""`jpay-server serve`: the API under uvicorn."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer
import uvicorn

from jpay_server.cli.common import fail, settings
from jpay_server.errors import ServiceUnavailable
from jpay_server.logs import configure_logging, logging_config
from jpay_server.services.context import Context
from jpay_server.services.keys import KeysUnreadable, check_keys
from jpay_server.services.schema import SchemaOutOfDate, check_schema
from jpay_server.store.db import open_database


def serve(
    host: Annotated[str, typer.Option(envvar="JPAY_HOST", help="Address to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(envvar="JPAY_PORT", min=1, max=65535)] = 8000,
    workers: Annotated[
        int, typer.Option(envvar="JPAY_WORKERS", min=1, max=64, help="Worker processes.")
    ] = 1,
) -> None:
    """Serve the API and the dashboard (and the worker, unless JPAY_WORKER_IN_PROCESS=false)."""
    current = settings()
    configure_logging(current.log_level, current.log_format)

    async def check() -> None:
        # What would stop every worker at start-up, said in one line here instead of in a
        # traceback from each worker's lifespan.
        database = open_database(current.database_url)
        try:
            await check_schema(database)
            await check_keys(Context.from_settings(current), database)
        finally:
            await database.dispose()

    try:
        asyncio.run(check())
    except (SchemaOutOfDate, ServiceUnavailable, KeysUnreadable) as exc:
        raise fail(str(exc)) from None
    uvicorn.run(
        "jpay_server.asgi:create_app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        # The app resolves client addresses itself, believing X-Forwarded-For only from
        # JPAY_TRUSTED_PROXIES; uvicorn's own rewriting would trust loopback blindly.
        proxy_headers=False,
        server_header=False,
        log_config=logging_config(current.log_level, current.log_format),
        # The app writes its own access log (jpay_server.access_log): one line per request
        # with its request id and duration, serialised once, only the target redacted.
        access_log=False,
        loop="uvloop",
        http="httptools",
        timeout_graceful_shutdown=10,
        # uvicorn kills a worker that does not answer its supervisor's ping within this
        # time, starting ones included: at its default of 5 s, a CPU-starved host killed
        # every worker while it was still importing, for minutes (the failure drills).
        timeout_worker_healthcheck=30,
    )
