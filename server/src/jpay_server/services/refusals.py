"""Recording refused requests without slowing anything down.

A refusal is noted in memory (a bounded queue, no I/O) and a background task writes what
has queued up once a second, in one transaction: one multi-row INSERT, then one indexed
DELETE per app seen that keeps its newest KEEP_PER_APP. So the success path costs nothing,
a refusal costs an append, and a flood of refusals costs at most one write a second of at
most MAX_PENDING rows; beyond that the oldest queued ones are dropped and counted in a log
line (a flood repeats itself, and the newest records are the useful ones).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from datetime import datetime

from sqlalchemy import Connection

from jpay_server.domain.allowlists import IPAddress
from jpay_server.domain.refusals import KEEP_PER_APP, Refusal, refusal
from jpay_server.errors import JPayError
from jpay_server.store.db import Database
from jpay_server.store.refusals import add_refusals, prune_refusals, refusals_of

log = logging.getLogger(__name__)
MAX_PENDING = 5000
FLUSH_INTERVAL = 1.0


class RefusalLog:
    """A process's queue of refusals not yet written, and the task that writes them."""

    def __init__(self, database: Database, max_pending: int = MAX_PENDING) -> None:
        self.database = database
        self._pending: deque[Refusal] = deque(maxlen=max_pending)
        self.dropped = 0

    def note(self, refusal: Refusal) -> None:
        """Queue a refusal to be written within a second (never blocks, never fails)."""
        if len(self._pending) == self._pending.maxlen:
            self.dropped += 1
        self._pending.append(refusal)

    def note_error(
        self,
        app_code: int | None,
        error: JPayError,
        client_ip: IPAddress | None,
        path: str,
        now: datetime,
    ) -> None:
        """Queue the refusal an error stands for, if it could be attributed to an app."""
        if app_code is not None:
            ip = str(client_ip) if client_ip is not None else None
            self.note(refusal(app_code, now, ip, path, error.code, error.detail))

    async def flush(self) -> int:
        """Write every queued refusal now; returns how many were written."""
        if self.dropped:
            log.warning("refused-requests log: %d refusals dropped in a flood", self.dropped)
            self.dropped = 0
        batch = list(self._pending)
        self._pending.clear()
        batch = _newest_per_app(batch, KEEP_PER_APP)
        if not batch:
            return 0

        def write(conn: Connection) -> None:
            add_refusals(conn, batch)
            prune_refusals(conn, {r.app_code for r in batch}, KEEP_PER_APP)

        await self.database.write(write)
        return len(batch)

    async def run(self, stop: asyncio.Event, interval: float = FLUSH_INTERVAL) -> None:
        """Flush every `interval` seconds until `stop`, then once more."""
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=interval)
            try:
                await self.flush()
            except Exception as exc:  # the log is best effort; requests must not notice
                log.warning("refused-requests log: write failed: %s", type(exc).__name__)


def _newest_per_app(batch: list[Refusal], keep: int) -> list[Refusal]:
    """The batch without refusals that the prune would delete at once (oldest first kept)."""
    counts: dict[int, int] = {}
    kept: list[Refusal] = []
    for item in reversed(batch):
        seen = counts.get(item.app_code, 0)
        if seen < keep:
            counts[item.app_code] = seen + 1
            kept.append(item)
    kept.reverse()
    return kept


async def list_refusals(
    database: Database, app_code: int, limit: int = KEEP_PER_APP
) -> list[Refusal]:
    """An app's refused requests, newest first."""
    return await database.read(lambda conn: refusals_of(conn, app_code, limit))
