"""SQLite's one writer, shared by a process's queued write commands (group commit)."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError, OperationalError, SQLAlchemyError

from jpay_server.store.held_connection import HeldConnection

T = TypeVar("T")
GROUP_COMMIT_MAX = 32  # commands per transaction: bounds how long the write lock is held


@dataclass(eq=False, slots=True)
class _Queued:
    """A write command waiting for its turn, and where its outcome goes."""

    command: Callable[[Connection], Any]
    future: asyncio.Future[Any]


class GroupCommit:
    """Runs write commands on one held connection; those that queue up commit together.

    BEGIN IMMEDIATE is sent with SQLite's busy timeout at 0: if another process holds the
    write lock it fails at once and the wait happens here, in the event loop, never blocking
    it; a command starts only once the lock is ours, so it runs once. Commands queued while
    the lock is awaited run in one transaction, each in its own savepoint, so one that raises
    is rolled back alone, and each caller sees only its own result, after the commit.
    """

    def __init__(self, writer: HeldConnection, busy_timeout: float) -> None:
        self.writer = writer
        # SQLite has one writer. Queueing this process's writers here, in the event loop,
        # keeps them from each holding a connection while SQLite's busy handler sleeps.
        self.turn = asyncio.Lock()
        self.busy_timeout = busy_timeout
        self.transactions = 0  # committed so far: how many commits the queue saved shows here
        self._queue: list[_Queued] = []

    async def run(self, command: Callable[[Connection], T]) -> T:
        """Run `command` in a write transaction, committed before this returns its result."""
        mine = _Queued(command, asyncio.get_running_loop().create_future())
        self._queue.append(mine)
        try:
            async with self.turn:
                while not mine.future.done():
                    conn = await self._begin()
                    batch = self._queue[:GROUP_COMMIT_MAX]
                    del self._queue[:GROUP_COMMIT_MAX]
                    self._run_batch(conn, batch)
        finally:
            if mine in self._queue:  # cancelled, or BEGIN failed, before it ran
                self._queue.remove(mine)
        outcome: T = mine.future.result()
        return outcome

    async def _begin(self) -> Connection:
        """BEGIN IMMEDIATE on the held connection, waiting for another process's lock."""
        deadline = time.monotonic() + self.busy_timeout
        pause = 0.0005
        while True:
            conn = self.writer.get()
            try:
                _driver_sql(conn, "BEGIN IMMEDIATE")
            except OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    self.writer.drop()
                    raise
            else:
                return conn
            await asyncio.sleep(pause)
            pause = min(pause * 2, 0.02)

    def _run_batch(self, conn: Connection, batch: list[_Queued]) -> None:
        """Run queued commands in the open transaction and commit; settle each one's future."""
        try:
            outcomes = _run_commands(conn, batch)
            _driver_sql(conn, "COMMIT")
        except BaseException as exc:
            self._rollback(conn)
            for item in batch:
                if isinstance(exc, Exception):
                    item.future.set_exception(exc)
                else:
                    item.future.cancel()
            if not isinstance(exc, Exception):
                raise
            return
        self.transactions += 1
        for item, result, error in outcomes:
            if error is None:
                item.future.set_result(result)
            else:
                item.future.set_exception(error)

    def _rollback(self, conn: Connection) -> None:
        try:
            _driver_sql(conn, "ROLLBACK")
        except SQLAlchemyError:
            self.writer.drop()  # in an unknown state: start afresh next time


def _run_commands(
    conn: Connection, batch: list[_Queued]
) -> list[tuple[_Queued, Any, Exception | None]]:
    """Each command's result or error; a failed one is undone alone, in its savepoint."""
    if len(batch) == 1:  # the common case pays for no savepoint: its error ends the batch
        return [(batch[0], batch[0].command(conn), None)]
    outcomes: list[tuple[_Queued, Any, Exception | None]] = []
    for item in batch:
        _driver_sql(conn, "SAVEPOINT command")
        try:
            outcomes.append((item, item.command(conn), None))
        except Exception as exc:
            _driver_sql(conn, "ROLLBACK TO command")
            outcomes.append((item, None, exc))
        _driver_sql(conn, "RELEASE command")
    return outcomes


def _driver_sql(conn: Connection, sql: str) -> None:
    """BEGIN, COMMIT, ROLLBACK or a savepoint on the held connection, straight to the driver.

    These bracket every write; through SQLAlchemy they cost more than the command's own
    statement. Errors are raised as SQLAlchemy's, like any other statement's.
    """
    try:
        conn.connection.driver_connection.execute(sql)  # type: ignore[union-attr]
    except sqlite3.Error as exc:
        raise DBAPIError.instance(sql, None, exc, sqlite3.Error) from exc
