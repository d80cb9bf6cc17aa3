"""Which driver errors mean "the database went away" (503) and which are bugs (500)."""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError

from jpay_server.api.errors import database_unreachable


class DriverError(Exception):
    """An error as asyncpg reports it through SQLAlchemy's adapter: with its SQLSTATE."""

    def __init__(self, message: str, sqlstate: str | None) -> None:
        super().__init__(message)
        self.sqlstate = sqlstate


def driver_error(sqlstate: str | None, *, invalidated: bool = False) -> DBAPIError:
    orig = DriverError("from the server", sqlstate)
    return DBAPIError("SELECT 1", None, orig, connection_invalidated=invalidated)


def test_a_restarting_database_is_unreachable_not_a_bug():
    assert database_unreachable(driver_error("57P01"))  # terminating: administrator command
    assert database_unreachable(driver_error("57P03"))  # the database system is starting up
    assert database_unreachable(driver_error("08006"))  # connection failure
    assert database_unreachable(driver_error(None, invalidated=True))  # closed mid-operation


def test_errors_in_our_own_statements_stay_500s():
    assert not database_unreachable(driver_error("23505"))  # unique violation
    assert not database_unreachable(driver_error("42P01"))  # undefined table
    assert not database_unreachable(driver_error(None))
