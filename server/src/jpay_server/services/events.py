"""Security-event use cases."""

from __future__ import annotations

from jpay_server.domain.events import SecurityEvent
from jpay_server.store.db import Database
from jpay_server.store.events import recent_security_events


async def list_events(
    database: Database, app_code: int | None = None, limit: int = 100
) -> list[SecurityEvent]:
    """The newest security events, optionally for one app."""
    return await database.read(lambda conn: recent_security_events(conn, app_code, limit))
