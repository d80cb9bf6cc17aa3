"""The worker's loops: step the sandbox network, deliver due webhooks, keep house.

Run in-process by `jpay-server serve` (JPAY_WORKER_IN_PROCESS, the default) or on its own
with `jpay-server worker`. Any number may run at once: every claim is a database transaction
(FOR UPDATE SKIP LOCKED on PostgreSQL), so no step or delivery is done twice on purpose.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import httpx

from jpay_server.services import mail, maintenance
from jpay_server.services.context import Context
from jpay_server.services.network import advance_due
from jpay_server.services.webhooks import Outgoing, claim_due, finish_delivery
from jpay_server.store.db import Database
from jpay_server.worker.delivery import deliver

log = logging.getLogger(__name__)
BATCH = 50


async def _pause(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)


async def network_loop(ctx: Context, database: Database, stop: asyncio.Event) -> None:
    """Advance due payments until `stop` is set."""
    while not stop.is_set():
        moved = 0
        try:
            moved = await advance_due(ctx, database, BATCH)
        except Exception:
            log.exception("sandbox network step failed; retrying")
        if moved < BATCH:
            await _pause(stop, ctx.settings.worker_poll_interval)


async def mail_loop(ctx: Context, database: Database, stop: asyncio.Event) -> None:
    """Send (or in development print) due emails from the outbox until `stop` is set."""
    while not stop.is_set():
        settled = 0
        try:
            settled = await mail.deliver_due(ctx, database)
        except Exception:
            log.exception("email outbox round failed; retrying")
        if settled < mail.BATCH:
            await _pause(stop, ctx.settings.worker_poll_interval)


async def delivery_loop(
    ctx: Context, database: Database, client: httpx.AsyncClient, stop: asyncio.Event
) -> None:
    """Deliver due webhook events until `stop` is set, each attempt on its own.

    No batch waits for its slowest delivery: whenever an attempt ends, its slot is refilled,
    so one merchant's slow endpoint delays no one else's webhooks. An event is claimed only
    when a slot is free for it, so its lease starts when its attempt does.
    """
    settings = ctx.settings
    running: set[asyncio.Task[None]] = set()
    freed = asyncio.Event()

    def done(task: asyncio.Task[None]) -> None:
        running.discard(task)
        freed.set()

    while not stop.is_set():
        free = settings.webhook_concurrency - len(running)
        claimed: list[Outgoing] = []
        if free > 0:
            try:
                claimed = await claim_due(
                    ctx, database, min(free, BATCH), settings.webhook_concurrency_per_app
                )
            except Exception:
                log.exception("claiming due webhooks failed; retrying")
        for outgoing in claimed:
            task = asyncio.create_task(_attempt(ctx, database, client, outgoing))
            running.add(task)
            task.add_done_callback(done)
        if not claimed or len(claimed) == free:
            freed.clear()
            await _first(stop, freed, settings.worker_poll_interval)
    if running:  # each attempt ends by its deadline; let them record their outcome
        await asyncio.wait(running)


async def _first(stop: asyncio.Event, freed: asyncio.Event, seconds: float) -> None:
    """Wait until a slot frees, `stop` is set, or `seconds` pass."""
    waiters = [asyncio.ensure_future(e.wait()) for e in (stop, freed)]
    try:
        await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()


async def _attempt(
    ctx: Context, database: Database, client: httpx.AsyncClient, outgoing: Outgoing
) -> None:
    """One delivery attempt, then its outcome recorded; never raises."""
    settings = ctx.settings
    try:
        result = await deliver(
            client, outgoing, ctx.clock, settings.webhook_timeout, settings.allow_private_callbacks
        )
        status = await finish_delivery(ctx, database, outgoing, result)
    except Exception:
        log.exception("webhook attempt failed", extra={"event_id": outgoing.event.id})
        return
    log.info(
        "webhook attempt",
        extra={
            "event_id": outgoing.event.id,
            "attempt": outgoing.attempt,
            "status_code": result.status_code,
            "error": result.error,
            "outcome": status.value,
        },
    )


async def run(
    ctx: Context, database: Database, stop: asyncio.Event, client: httpx.AsyncClient | None = None
) -> None:
    """Every worker loop, until `stop` is set."""
    owned = client is None
    limits = httpx.Limits(max_connections=ctx.settings.webhook_concurrency)
    http = client or httpx.AsyncClient(limits=limits)
    try:
        await asyncio.gather(
            network_loop(ctx, database, stop),
            delivery_loop(ctx, database, http, stop),
            mail_loop(ctx, database, stop),
            maintenance.run(ctx, database, stop),
        )
    finally:
        if owned:
            await http.aclose()
