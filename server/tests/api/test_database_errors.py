"""Which driver errors mean "the database went away" (503) and which are bugs (500).

The errors are asyncpg's own, wrapped by SQLAlchemy's asyncpg adapter as a request sees them;
the failure drills (make drills) restart a real PostgreSQL under load for the whole path.
"""

from __future__ import annotations

import asyncio

import asyncpg
import pytest
from sqlalchemy.dialects.postgresql.asyncpg import AsyncAdapt_asyncpg_dbapi
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from jpay_server.api.errors import database_unreachable
from tests.harness import running

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


@pytest.mark.anyio
async def test_a_statement_stuck_past_the_timeout_answers_503_not_a_hang(
    make_settings, postgres_factory, clock
):
    """A statement that cannot finish (a lock here, a dropped link in the drills) is bounded."""
    url = await postgres_factory.new()
    settings = make_settings(database_url=url, database_timeout=1, rate_limit_enabled=False)
    async with running(settings, clock) as h:
        tokens = await h.tokens(await h.app_credentials())
        assert (await h.checkouts(tokens["access"])).status_code == 200
        blocker = await asyncpg.connect(
            make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        )
        try:
            async with blocker.transaction():
                await blocker.execute("LOCK TABLE payment IN ACCESS EXCLUSIVE MODE")
                # Without the bound the read waits for the lock as long as it is held.
                response = await asyncio.wait_for(h.checkouts(tokens["access"]), 10)
            assert response.status_code == 503
            assert response.json()["code"] == "service_unavailable"
            # The timed-out connection was dropped, not reused: the next request is served.
            assert (await h.checkouts(tokens["access"])).status_code == 200
        finally:
            await blocker.close()
