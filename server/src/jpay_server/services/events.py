"""Security-event use cases."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from jpay_server.domain.events import SecurityEvent
from jpay_server.store.events import SecurityEventRepository


async def list_events(
    session: AsyncSession, app_code: int | None = None, limit: int = 100
) -> list[SecurityEvent]:
    """The newest security events, optionally for one app."""
    return await SecurityEventRepository(session).recent(app_code, limit)
