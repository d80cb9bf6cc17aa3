"""One connection per thread, kept open between uses of a synchronous engine."""

from __future__ import annotations

import contextlib
import threading

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError


class HeldConnection:
    """The calling thread's connection of `engine`, opened on first use and kept.

    Checking a connection out of the pool for every statement cost more than the statement.
    The driver runs in autocommit (transactions are explicit), so a held connection keeps no
    snapshot between uses; one that fails is dropped and the next use opens a new one.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._local = threading.local()

    def get(self) -> Connection:
        """This thread's connection, (re)opened if it is missing, closed or invalidated."""
        conn: Connection | None = getattr(self._local, "conn", None)
        if conn is None or conn.closed or conn.invalidated:
            conn = self._local.conn = self.engine.connect()
        return conn

    def drop(self) -> None:
        """Close this thread's connection; the next `get` opens a fresh one."""
        conn: Connection | None = getattr(self._local, "conn", None)
        self._local.conn = None
        if conn is not None:
            with contextlib.suppress(SQLAlchemyError):
                conn.close()
