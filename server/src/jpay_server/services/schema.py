"""Schema use cases: upgrade the database, and refuse to serve an out-of-date one."""

from __future__ import annotations

from jpay_server.errors import ServiceUnavailable
from jpay_server.store import migrate
from jpay_server.store.db import Database


class SchemaOutOfDate(Exception):
    """The database is not at the revision this code expects."""


async def upgrade(database: Database) -> str:
    """Apply every migration; return the revision reached."""
    await migrate.upgrade(database)
    return migrate.head_revision()


async def check_schema(database: Database) -> None:
    """Raise SchemaOutOfDate unless the database is at the newest revision."""
    try:
        current = await migrate.current_revision(database)
    except Exception as exc:
        raise ServiceUnavailable(f"cannot reach the database: {type(exc).__name__}") from exc
    head = migrate.head_revision()
    if current != head:
        raise SchemaOutOfDate(
            f"database schema is at {current or 'nothing'}, this server needs {head}: "
            "run `jpay-server db upgrade`"
        )
