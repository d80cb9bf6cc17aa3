"""Security events (Core functions)."""

from __future__ import annotations

from sqlalchemy import Connection, insert, select

from jpay_server.domain.events import SecurityEvent, SecurityEventKind
from jpay_server.store.tables import SecurityEventRow


def add_security_event(conn: Connection, event: SecurityEvent) -> int:
    """Record an event and return its id."""
    new_id = conn.execute(
        insert(SecurityEventRow)
        .values(
            kind=event.kind.value,
            app_code=event.app_code,
            merchant_id=event.merchant_id,
            family_id=event.family_id,
            client_ip=event.client_ip,
            detail=event.detail,
            created_at=event.created_at,
        )
        .returning(SecurityEventRow.id)
    ).scalar_one()
    return int(new_id)


def recent_security_events(
    conn: Connection, app_code: int | None = None, limit: int = 100
) -> list[SecurityEvent]:
    """The newest events first, optionally for one app."""
    query = select(SecurityEventRow.__table__).order_by(SecurityEventRow.id.desc()).limit(limit)
    if app_code is not None:
        query = query.where(SecurityEventRow.app_code == app_code)
    return [
        SecurityEvent(
            kind=SecurityEventKind(r.kind),
            app_code=r.app_code,
            merchant_id=r.merchant_id,
            family_id=r.family_id,
            client_ip=r.client_ip,
            created_at=r.created_at,
            detail=r.detail,
            id=r.id,
        )
        for r in conn.execute(query)
    ]
