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

from jpay_server.services import maintenance
from jpay_server.services.context import Context
from jpay_server.services.network import advance_due
from jpay_server.services.webhooks import Outgoing, claim_due, finish_delivery
from jpay_server.store.db import Database
from jpay_server.worker.delivery import deliver

log = logging.getLogger(__name__)
BATCH = 50
CONCURRENT_DELIVERIES = 16


async def _pause(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)


async def network_loop(ctx: Context, database: Database, stop: asyncio.Event) -> None:
    """Advance due payments until `stop` is set."""
    while not stop.is_set():
        moved = 0
        try:
            async with database.transaction() as session:
                moved = await advance_due(ctx, session, BATCH)
        except Exception:
            log.exception("sandbox network step failed; retrying")
        if moved < BATCH:
            await _pause(stop, ctx.settings.worker_poll_interval)


async def delivery_loop(
    ctx: Context, database: Database, client: httpx.AsyncClient, stop: asyncio.Event
) -> None:
    """Deliver due webhook events until `stop` is set."""
    while not stop.is_set():
        batch: list[Outgoing] = []
        try:
            async with database.transaction() as session:
                batch = await claim_due(ctx, session, BATCH)
            if batch:
                await _deliver_batch(ctx, database, client, batch)
        except Exception:
            log.exception("webhook delivery round failed; retrying")
        if len(batch) < BATCH:
            await _pause(stop, ctx.settings.worker_poll_interval)


async def _deliver_batch(
    ctx: Context, database: Database, client: httpx.AsyncClient, batch: list[Outgoing]
) -> None:
    limit = asyncio.Semaphore(CONCURRENT_DELIVERIES)
    settings = ctx.settings

    async def one(outgoing: Outgoing) -> None:
        async with limit:
            result = await deliver(
                client,
                outgoing,
                ctx.clock,
                settings.webhook_timeout,
                settings.allow_private_callbacks,
            )
        async with database.transaction() as session:
            status = await finish_delivery(ctx, session, outgoing, result)
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

    await asyncio.gather(*(one(outgoing) for outgoing in batch))


async def run(
    ctx: Context, database: Database, stop: asyncio.Event, client: httpx.AsyncClient | None = None
) -> None:
    """Every worker loop, until `stop` is set."""
    owned = client is None
    http = client or httpx.AsyncClient(limits=httpx.Limits(max_connections=CONCURRENT_DELIVERIES))
    try:
        await asyncio.gather(
            network_loop(ctx, database, stop),
            delivery_loop(ctx, database, http, stop),
            maintenance.run(ctx, database, stop),
        )
    finally:
        if owned:
            await http.aclose()
