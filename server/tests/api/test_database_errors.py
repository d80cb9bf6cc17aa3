"""Which driver errors mean "the database went away" (503) and which are bugs (500).

The errors are asyncpg's own, wrapped by SQLAlchemy's asyncpg adapter as a request sees them;
the failure drills (make drills) restart a real PostgreSQL under load for the whole path.
"""

from __future__ import annotations

import asyncpg
from sqlalchemy.dialects.postgresql.asyncpg import AsyncAdapt_asyncpg_dbapi
from sqlalchemy.exc import DBAPIError

from jpay_server.api.errors import database_unreachable

DBAPI = AsyncAdapt_asyncpg_dbapi(asyncpg)


def as_seen(error: Exception, *, invalidated: bool = False) -> DBAPIError:
    """The DBAPIError a route gets for asyncpg's `error`."""
    adapted = DBAPI.Error(str(error), error)
    return DBAPIError("SELECT 1", None, adapted, connection_invalidated=invalidated)


def test_a_restarting_database_is_unreachable_not_a_bug():
    shutdown = asyncpg.exceptions.AdminShutdownError("terminating connection")  # 57P01
    starting = asyncpg.exceptions.CannotConnectNowError("the database system is starting up")
    lost = asyncpg.exceptions.ConnectionFailureError("connection failure")  # 08006
    assert database_unreachable(as_seen(shutdown))
    assert database_unreachable(as_seen(starting))
    assert database_unreachable(as_seen(lost))
    closed = asyncpg.exceptions.InternalClientError("connection was closed in the middle")
    assert database_unreachable(as_seen(closed, invalidated=True))


def test_errors_in_our_own_statements_stay_500s():
    assert not database_unreachable(as_seen(asyncpg.exceptions.UniqueViolationError("dup")))
    assert not database_unreachable(as_seen(asyncpg.exceptions.UndefinedTableError("table")))
    assert not database_unreachable(as_seen(asyncpg.exceptions.InternalClientError("state")))
