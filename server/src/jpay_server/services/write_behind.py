"""Write-behind queues: records noted in memory, written in batches once a second.

For records that must not cost a request a database round trip (refused requests, logins):
noting one is an append to a bounded queue; a background task writes what has queued up every
`interval` seconds, in transactions of at most CHUNK records. When the queue is full the
oldest records are dropped and counted in a log line. A process that dies loses at most its
last second.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections import deque
from typing import Generic, TypeVar

from sqlalchemy import Connection

from jpay_server.store.db import Database

log = logging.getLogger(__name__)
T = TypeVar("T")
FLUSH_INTERVAL = 1.0
# Records per transaction. A batch is written on the event loop's thread on SQLite: a
# second of logins under load (thousands) in one transaction held every request in flight
# for tens of milliseconds, the token endpoint's p99 (bench/README.md).
CHUNK = 250


class WriteBehind(Generic[T]):
    """A bounded queue of records and the batched writes that empty it."""

    name = "records"

    def __init__(self, database: Database, max_pending: int) -> None:
        self.database = database
        self._pending: deque[T] = deque(maxlen=max_pending)
        self.dropped = 0
        # One flush at a time: a flush that returns has written everything noted before it
        # was called, also what another flush had taken and was still writing (revoke_logins
        # relies on that).
        self._flushing = asyncio.Lock()

    def note(self, record: T) -> None:
        """Queue a record to be written within a second (never blocks, never fails)."""
        if len(self._pending) == self._pending.maxlen:
            self.dropped += 1
        self._pending.append(record)

    def prepare(self, batch: list[T]) -> list[T]:
        """What of a batch to write (all of it unless a subclass knows better)."""
        return batch

    def write(self, conn: Connection, batch: list[T]) -> None:
        """Write a batch in the open transaction."""
        raise NotImplementedError

    async def flush(self) -> int:
        """Write every queued record now; returns how many this call wrote."""
        async with self._flushing:
            if self.dropped:
                log.warning("%s: %d dropped (queue full)", self.name, self.dropped)
                self.dropped = 0
            batch = self.prepare(list(self._pending))
            self._pending.clear()
            for start in range(0, len(batch), CHUNK):
                if start:
                    await asyncio.sleep(0)  # an uncontended write never yields: let requests run
                chunk = batch[start : start + CHUNK]
                await self.database.write(functools.partial(self.write, batch=chunk))
            return len(batch)

    async def run(self, stop: asyncio.Event, interval: float = FLUSH_INTERVAL) -> None:
        """Flush every `interval` seconds until `stop`, then once more."""
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=interval)
            try:
                await self.flush()
            except Exception as exc:  # best effort: requests must never notice
                log.warning("%s: write failed: %s", self.name, type(exc).__name__)
