"""Recording refused requests without slowing anything down.

A refusal is noted in memory (a bounded write-behind queue, no I/O) and written once a second,
in transactions of at most write_behind.CHUNK: a multi-row INSERT, then one indexed DELETE per
app seen that keeps its newest KEEP_PER_APP. So the success path costs nothing, a refusal
costs an append, and a flood of refusals costs at most one write a second of at most
MAX_PENDING rows; beyond that the oldest queued ones are dropped and counted in a log line
(a flood repeats itself, and the newest records are the useful ones).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime

from sqlalchemy import Connection

from jpay_server.clock import Clock
from jpay_server.domain.allowlists import IPAddress
from jpay_server.domain.refusals import KEEP_PER_APP, Refusal, refusal
from jpay_server.errors import AuthenticationFailed, JPayError, PermissionDenied
from jpay_server.services.write_behind import WriteBehind
from jpay_server.store.db import Database
from jpay_server.store.refusals import add_refusals, prune_refusals, refusals_of

# Per process and flush: 500 rows took 20-200 ms to write on a loaded 2-core machine,
# so a flood holds SQLite's write lock for a small part of each second at most.
MAX_PENDING = 500


class RefusalLog(WriteBehind[Refusal]):
    """A process's refusals not yet written."""

    name = "refused-requests log"

    def __init__(self, database: Database, max_pending: int = MAX_PENDING) -> None:
        super().__init__(database, max_pending)

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

    @contextmanager
    def noting(
        self,
        app_code: Callable[[], int | None],
        client_ip: IPAddress | None,
        path: str,
        clock: Clock,
    ) -> Iterator[None]:
        """Note every 401 or 403 raised inside, then re-raise.

        `app_code` names the app the request was for; it is asked only on a refusal, and a
        refusal it cannot attribute (None) is not noted.
        """
        try:
            yield
        except (AuthenticationFailed, PermissionDenied) as exc:
            # An error that hides its reason from the caller carries it as its cause.
            noted = exc.__cause__ if isinstance(exc.__cause__, JPayError) else exc
            self.note_error(app_code(), noted, client_ip, path, clock())
            raise

    def prepare(self, batch: list[Refusal]) -> list[Refusal]:
        """The batch without refusals that the prune would delete at once."""
        return _newest_per_app(batch, KEEP_PER_APP)

    def write(self, conn: Connection, batch: list[Refusal]) -> None:
        add_refusals(conn, batch)
        prune_refusals(conn, {r.app_code for r in batch}, KEEP_PER_APP)


def _newest_per_app(batch: list[Refusal], keep: int) -> list[Refusal]:
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
