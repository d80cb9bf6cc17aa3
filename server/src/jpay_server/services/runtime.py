"""What a running process holds: context, database, access-state cache, rate limiter, logs."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from dataclasses import dataclass, field

from jpay_server.clock import Clock, system_clock
from jpay_server.services.access import AccessState
from jpay_server.services.context import Context, TokenBytes
from jpay_server.services.keys import ensure_signing_key
from jpay_server.services.refusals import RefusalLog
from jpay_server.services.schema import check_schema
from jpay_server.settings import Settings
from jpay_server.store.db import Database
from jpay_server.store.ratelimits import (
    DisabledRateLimiter,
    MemoryRateLimiter,
    RateLimiter,
    RedisRateLimiter,
)


@dataclass
class Runtime:
    """The long-lived objects of one server process."""

    ctx: Context
    database: Database
    access: AccessState
    limiter: RateLimiter
    refusals: RefusalLog
    _stop: asyncio.Event = field(default_factory=asyncio.Event)
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)

    @property
    def settings(self) -> Settings:
        """The process's settings."""
        return self.ctx.settings


def _limiter(settings: Settings) -> RateLimiter:
    if not settings.rate_limit_enabled:
        return DisabledRateLimiter()
    if settings.redis_url is not None:
        return RedisRateLimiter(settings.redis_url.get_secret_value())
    return MemoryRateLimiter()


async def start_runtime(
    settings: Settings, clock: Clock = system_clock, rand: TokenBytes = secrets.token_bytes
) -> Runtime:
    """Open the database, check the schema, load access state and start syncing it."""
    ctx = Context.from_settings(settings, clock, rand)
    database = Database(settings.database_url)
    try:
        await check_schema(database)
        async with database.transaction() as session:
            await ensure_signing_key(ctx, session)
        access = AccessState(ctx, database)
        await access.start()
    except BaseException:
        await database.dispose()
        raise
    runtime = Runtime(ctx, database, access, _limiter(settings), RefusalLog(database))
    runtime._tasks.append(asyncio.create_task(access.run(runtime._stop)))
    runtime._tasks.append(asyncio.create_task(runtime.refusals.run(runtime._stop)))
    if settings.worker_in_process:
        from jpay_server.worker import runner  # the worker is a shell over services too

        runtime._tasks.append(asyncio.create_task(runner.run(ctx, database, runtime._stop)))
    return runtime


async def stop_runtime(runtime: Runtime) -> None:
    """Stop background tasks and release connections."""
    runtime._stop.set()
    for task in runtime._tasks:
        with contextlib.suppress(asyncio.CancelledError):
            await task
    await runtime.limiter.close()
    await runtime.database.dispose()
