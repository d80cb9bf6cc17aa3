"""The `jpay-server` command: the CLI's commands plus `worker`, which starts the worker shell.

The CLI and the worker are shells that never import each other; this module, above both,
puts them into one command (see also jpay_server/asgi.py for the API processes).
"""

from __future__ import annotations

import asyncio
import contextlib
import signal

from jpay_server.cli import main as cli
from jpay_server.cli.common import run, settings
from jpay_server.logs import configure_logging
from jpay_server.services.context import Context
from jpay_server.services.schema import check_schema
from jpay_server.store.db import Database
from jpay_server.worker import runner


@cli.app.command("worker")
def worker() -> None:
    """Run the worker until SIGINT or SIGTERM (set JPAY_WORKER_IN_PROCESS=false on servers)."""
    current = settings()
    configure_logging(current.log_level, current.log_format)

    async def work(ctx: Context, database: Database) -> None:
        await check_schema(database)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(sig, stop.set)
        await runner.run(ctx, database, stop)

    run(work)


def main() -> None:
    """Entry point of `jpay-server`."""
    cli.main()
