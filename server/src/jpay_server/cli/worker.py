"""`jpay-server worker`: the sandbox network and webhook delivery, on their own."""

from __future__ import annotations

import asyncio
import contextlib
import signal

from jpay_server.cli.common import run, settings
from jpay_server.logs import configure_logging
from jpay_server.services.context import Context
from jpay_server.services.schema import check_schema
from jpay_server.store.db import Database


def worker() -> None:
    """Run the worker until SIGINT or SIGTERM (set JPAY_WORKER_IN_PROCESS=false on servers)."""
    current = settings()
    configure_logging(current.log_level, current.log_format)

    async def work(ctx: Context, database: Database) -> None:
        from jpay_server.worker import runner

        await check_schema(database)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(sig, stop.set)
        await runner.run(ctx, database, stop)

    run(work)
