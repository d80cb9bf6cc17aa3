"""Housekeeping: forget what no rule needs any more, so tables do not grow without bound."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from jpay_server.services.context import Context
from jpay_server.store.changes import ChangeRepository
from jpay_server.store.db import Database
from jpay_server.store.idempotency import TTL as IDEMPOTENCY_TTL
from jpay_server.store.idempotency import IdempotencyRepository
from jpay_server.store.tokens import TokenRepository
from jpay_server.store.webhooks import WebhookRepository

log = logging.getLogger(__name__)
# A process more than this far behind the change log reloads all its state instead.
CHANGE_LOG_RETENTION = timedelta(hours=1)
# Families are kept a day past their end, for operators looking into an incident.
FAMILY_RETENTION = timedelta(days=1)
# Settled webhook events (and their attempts) stay visible to operators this long.
EVENT_RETENTION = timedelta(days=30)
INTERVAL_SECONDS = 600.0


@dataclass(frozen=True, slots=True)
class Pruned:
    """What one housekeeping pass removed."""

    families: int


async def housekeep(ctx: Context, session: AsyncSession) -> Pruned:
    """Delete ended refresh families, old change-log rows, keys and settled webhook events."""
    now = ctx.clock()
    families = await TokenRepository(session).prune(now - FAMILY_RETENTION)
    await ChangeRepository(session).prune(now - CHANGE_LOG_RETENTION)
    await IdempotencyRepository(session).prune(now - IDEMPOTENCY_TTL)
    await WebhookRepository(session).prune(now - EVENT_RETENTION)
    return Pruned(families)


async def run(ctx: Context, database: Database, stop: asyncio.Event) -> None:
    """Housekeep every ten minutes until `stop` is set (idempotent across processes)."""
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=INTERVAL_SECONDS)
        if stop.is_set():
            return
        try:
            async with database.transaction() as session:
                pruned = await housekeep(ctx, session)
            log.info("housekeeping done", extra={"pruned_families": pruned.families})
        except Exception as exc:  # retried next interval
            log.warning("housekeeping failed: %s", type(exc).__name__)
