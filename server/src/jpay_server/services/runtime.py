"""What a running process holds: context, database, access-state cache, rate limiter, logs."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from typing import Any

from jpay_server.clock import Clock, system_clock
from jpay_server.domain.randomness import TokenBytes
from jpay_server.services.access import AccessState
from jpay_server.services.context import Context
from jpay_server.services.keys import ensure_signing_key
from jpay_server.services.logins import LoginLog
from jpay_server.services.refusals import RefusalLog
from jpay_server.services.schema import check_schema
from jpay_server.settings import Settings
from jpay_server.store.db import Database, open_database
from jpay_server.store.ratelimits import (
    DisabledRateLimiter,
    MemoryRateLimiter,
    RateLimiter,
    RedisRateLimiter,
)

# A loop that runs beside the requests until its event is set (the in-process worker).
Background = Callable[[Context, Database, asyncio.Event], Coroutine[Any, Any, None]]


@dataclass
class Runtime:
    """The long-lived objects of one server process."""

    ctx: Context
    database: Database
    access: AccessState
    limiter: RateLimiter
    refusals: RefusalLog
    logins: LoginLog
    _stop: asyncio.Event = field(default_factory=asyncio.Event)
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)

    @property
    def settings(self) -> Settings:
        """The process's settings."""
        return self.ctx.settings

    async def stop_tasks(self) -> None:
        """Stop the background tasks (access sync, write-behind logs, `background`) and wait."""
        self._stop.set()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task


def _limiter(settings: Settings) -> RateLimiter:
    if not settings.rate_limit_enabled:
        return DisabledRateLimiter()
    if settings.redis_url is not None:
        return RedisRateLimiter(settings.redis_url.get_secret_value())
    return MemoryRateLimiter()


async def start_runtime(
    settings: Settings,
    clock: Clock = system_clock,
    rand: TokenBytes = secrets.token_bytes,
    background: Sequence[Background] = (),
) -> Runtime:
    """Open the database, check the schema, load access state; start syncing it and `background`.

    Which loops a process runs is decided above the services (jpay_server/asgi.py).
    """
    ctx = Context.from_settings(settings, clock, rand)
    database = open_database(
        settings.database_url,
        pool_size=settings.database_pool_size,
        timeout=settings.database_timeout,
    )
    try:
        await check_schema(database)
        await ensure_signing_key(ctx, database)
        access = AccessState(ctx, database)
        await access.start()
    except BaseException:
        await database.dispose()
        raise
    runtime = Runtime(
        ctx, database, access, _limiter(settings), RefusalLog(database), LoginLog(database, clock)
    )
    runtime._tasks.append(asyncio.create_task(access.run(runtime._stop)))
    runtime._tasks.append(asyncio.create_task(runtime.refusals.run(runtime._stop)))
    runtime._tasks.append(asyncio.create_task(runtime.logins.run(runtime._stop)))
    for loop in background:
        runtime._tasks.append(asyncio.create_task(loop(ctx, database, runtime._stop)))
    return runtime


async def stop_runtime(runtime: Runtime) -> None:
    """Stop background tasks and release connections."""
    await runtime.stop_tasks()
    await runtime.limiter.close()
    await runtime.database.dispose()
