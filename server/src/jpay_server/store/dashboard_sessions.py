"""Dashboard sessions: plain Core functions over `dashboard_session`."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import Connection, Row, Table, delete, insert, select, update

from jpay_server.domain.dashboard_sessions import DashboardSession, Stage
from jpay_server.store.tables import DashboardSessionRow

_T = cast(Table, DashboardSessionRow.__table__)
_COLUMNS = (
    _T.c.id,
    _T.c.user_id,
    _T.c.merchant_id,
    _T.c.user_epoch,
    _T.c.stage,
    _T.c.csrf_token,
    _T.c.client_ip,
    _T.c.user_agent,
    _T.c.created_at,
    _T.c.last_seen_at,
    _T.c.expires_at,
    _T.c.ended_at,
)


def _session(row: Row[Any, *tuple[Any, ...]]) -> DashboardSession:
    return DashboardSession(
        id=row.id,
        user_id=row.user_id,
        merchant_id=row.merchant_id,
        user_epoch=row.user_epoch,
        stage=Stage(row.stage),
        csrf_token=row.csrf_token,
        client_ip=row.client_ip,
        user_agent=row.user_agent,
        created_at=row.created_at,
        last_seen_at=row.last_seen_at,
        expires_at=row.expires_at,
        ended_at=row.ended_at,
    )


def add_session(conn: Connection, session: DashboardSession, pending: bytes | None) -> None:
    """Insert a new session (with its sealed second-factor ticket, if one is owed)."""
    conn.execute(
        insert(_T).values(
            id=session.id,
            user_id=session.user_id,
            merchant_id=session.merchant_id,
            user_epoch=session.user_epoch,
            stage=session.stage,
            csrf_token=session.csrf_token,
            client_ip=session.client_ip,
            user_agent=session.user_agent,
            pending=pending,
            created_at=session.created_at,
            last_seen_at=session.last_seen_at,
            expires_at=session.expires_at,
        )
    )


def session_by_id(conn: Connection, sid: str) -> DashboardSession | None:
    """The session with this id, live or not."""
    row = conn.execute(select(*_COLUMNS).where(_T.c.id == sid)).first()
    return _session(row) if row else None


def sessions_of_user(conn: Connection, user_id: int, now: datetime) -> list[DashboardSession]:
    """A user's sessions that have not ended or passed their absolute end, newest first."""
    query = (
        select(*_COLUMNS)
        .where(_T.c.user_id == user_id, _T.c.ended_at.is_(None), _T.c.expires_at > now)
        .order_by(_T.c.last_seen_at.desc())
    )
    return [_session(row) for row in conn.execute(query)]


def touch_session(conn: Connection, sid: str, now: datetime) -> None:
    """Record a request on the session (pushes its idle end back)."""
    conn.execute(update(_T).where(_T.c.id == sid).values(last_seen_at=now))


def pending_of(conn: Connection, sid: str) -> bytes | None:
    """The sealed second-factor ticket of a half-signed-in session."""
    found: bytes | None = conn.execute(select(_T.c.pending).where(_T.c.id == sid)).scalar()
    return found


def complete_session(conn: Connection, old_sid: str, new: DashboardSession) -> bool:
    """Replace a half-signed-in session by a full one under a new id; False if it was gone."""
    done = conn.execute(
        delete(_T).where(_T.c.id == old_sid, _T.c.ended_at.is_(None), _T.c.stage == Stage.MFA)
    )
    if done.rowcount != 1:
        return False
    add_session(conn, new, None)
    return True


def set_flash(conn: Connection, sid: str, sealed: bytes) -> None:
    """Keep a sealed one-time message for the session's next page."""
    conn.execute(update(_T).where(_T.c.id == sid).values(flash=sealed))


def take_flash(conn: Connection, sid: str) -> bytes | None:
    """The sealed one-time message, removed as it is read."""
    found = conn.execute(select(_T.c.flash).where(_T.c.id == sid)).scalar()
    if found is not None:
        conn.execute(update(_T).where(_T.c.id == sid).values(flash=None))
    return found


def end_session(conn: Connection, sid: str, now: datetime) -> None:
    """Sign one session out."""
    conn.execute(
        update(_T)
        .where(_T.c.id == sid, _T.c.ended_at.is_(None))
        .values(ended_at=now, flash=None, pending=None)
    )


def end_user_sessions(conn: Connection, user_id: int, now: datetime) -> int:
    """Sign out every session of a user; the number ended."""
    done = conn.execute(
        update(_T)
        .where(_T.c.user_id == user_id, _T.c.ended_at.is_(None))
        .values(ended_at=now, flash=None, pending=None)
    )
    return int(done.rowcount)


def prune_sessions(conn: Connection, before: datetime) -> None:
    """Forget sessions that ended, or passed their absolute end, before `before`."""
    conn.execute(delete(_T).where((_T.c.expires_at < before) | (_T.c.ended_at < before)))
