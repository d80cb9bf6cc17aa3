"""Housekeeping: forget what no rule needs any more, so tables do not grow without bound."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Connection

from jpay_server.services.context import Context
from jpay_server.store.changes import prune_changes
from jpay_server.store.db import Database
from jpay_server.store.idempotency import TTL as IDEMPOTENCY_TTL
from jpay_server.store.idempotency import prune_keys
from jpay_server.store.links import prune_links
from jpay_server.store.mail import prune_emails
from jpay_server.store.tokens import prune as prune_tokens
from jpay_server.store.webhooks import prune_events

log = logging.getLogger(__name__)
# A process more than this far behind the change log reloads all its state instead.
CHANGE_LOG_RETENTION = timedelta(hours=1)
# Refresh state is kept a day past its family's end, for operators looking into an incident.
FAMILY_RETENTION = timedelta(days=1)
# Settled webhook events (and their attempts) stay visible to operators this long.
EVENT_RETENTION = timedelta(days=30)
INTERVAL_SECONDS = 600.0


@dataclass(frozen=True, slots=True)
class Pruned:
    """What one housekeeping pass removed."""

    refresh_uses: int


async def housekeep(ctx: Context, database: Database) -> Pruned:
    """Forget spent refresh state, old change-log rows, idempotency keys, settled webhooks,
    link tokens expired 30 days ago and settled emails older than that (one transaction)."""
    now = ctx.clock()
    # A use or a revocation matters while any token of its family may be alive.
    horizon = now - timedelta(seconds=ctx.settings.refresh_token_lifetime) - FAMILY_RETENTION

    def prune(conn: Connection) -> Pruned:
        uses = prune_tokens(conn, horizon)
        prune_changes(conn, now - CHANGE_LOG_RETENTION)
        prune_keys(conn, now - IDEMPOTENCY_TTL)
        prune_events(conn, now - EVENT_RETENTION)
        prune_links(conn, now - EVENT_RETENTION)
        prune_emails(conn, now - EVENT_RETENTION)
        return Pruned(uses)

    return await database.write(prune)


async def run(ctx: Context, database: Database, stop: asyncio.Event) -> None:
    """Housekeep every ten minutes until `stop` is set (idempotent across processes)."""
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=INTERVAL_SECONDS)
        if stop.is_set():
            return
        try:
            pruned = await housekeep(ctx, database)
            log.info("housekeeping done", extra={"pruned_refresh_uses": pruned.refresh_uses})
        except Exception as exc:  # retried next interval
            log.warning("housekeeping failed: %s", type(exc).__name__)
