"""Live logins (refresh families) of an app: when each started, from where, when it ends."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Connection, delete, func, insert, select

from jpay_server.domain.logins import Login, LoginStart
from jpay_server.store.tables import LoginFamilyRow, RefreshUseRow, RevokedFamilyRow


def add_logins(conn: Connection, starts: Sequence[LoginStart]) -> None:
    """Record logins in one statement."""
    if starts:
        conn.execute(
            insert(LoginFamilyRow),
            [
                {
                    "id": s.family_id,
                    "app_code": s.app_code,
                    "started_at": s.started_at,
                    "ends_at": s.ends_at,
                    "client_ip": s.client_ip,
                }
                for s in starts
            ],
        )


def prune_logins(conn: Connection, ended_before: datetime) -> None:
    """Forget logins that ended before `ended_before`."""
    conn.execute(delete(LoginFamilyRow).where(LoginFamilyRow.ends_at < ended_before))


# Correlated, so it reads ix_refresh_use_family_id for each listed login only.
_LAST_USE = (
    select(func.max(RefreshUseRow.used_at))
    .where(RefreshUseRow.family_id == LoginFamilyRow.id)
    .scalar_subquery()
    .label("last")
)


def logins_of(
    conn: Connection, app_code: int, now: datetime, family_id: str | None = None
) -> list[Login]:
    """An app's logins that have not ended, newest first (or the one `family_id`)."""
    query = (
        select(
            LoginFamilyRow.__table__,
            _LAST_USE,
            RevokedFamilyRow.revoked_at,
            RevokedFamilyRow.reason,
        )
        .outerjoin(RevokedFamilyRow, RevokedFamilyRow.id == LoginFamilyRow.id)
        .where(LoginFamilyRow.app_code == app_code)
        .order_by(LoginFamilyRow.started_at.desc(), LoginFamilyRow.id)
    )
    if family_id is not None:
        query = query.where(LoginFamilyRow.id == family_id)
    else:
        query = query.where(LoginFamilyRow.ends_at > now, RevokedFamilyRow.id.is_(None))
    return [
        Login(
            r.id,
            r.app_code,
            r.started_at,
            r.ends_at,
            r.client_ip,
            r.last,
            r.revoked_at,
            r.reason,
        )
        for r in conn.execute(query)
    ]
