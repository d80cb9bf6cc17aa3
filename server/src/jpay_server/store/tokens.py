"""Refresh-token repository: families and tokens, with single-use rotation as one UPDATE."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession

from jpay_server.domain.refresh import Family, StoredRefresh
from jpay_server.store.tables import RefreshFamilyRow, RefreshTokenRow


def _family(row: RefreshFamilyRow) -> Family:
    return Family(row.id, row.app_code, row.epoch, row.started_at, row.ends_at, row.revoked_at)


def _token(row: RefreshTokenRow) -> StoredRefresh:
    return StoredRefresh(
        jti=row.jti,
        family_id=row.family_id,
        parent_jti=row.parent_jti,
        access_jti=row.access_jti,
        kid=row.kid,
        issued_at=row.issued_at,
        expires_at=row.expires_at,
        used_at=row.used_at,
        use_count=row.use_count,
        successor_jti=row.successor_jti,
    )


class TokenRepository:
    """Reads and writes refresh families and tokens inside the caller's transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add_family(self, family: Family) -> None:
        """Insert a family."""
        self.session.add(
            RefreshFamilyRow(
                id=family.id,
                app_code=family.app_code,
                epoch=family.epoch,
                started_at=family.started_at,
                ends_at=family.ends_at,
            )
        )

    async def family(self, family_id: str) -> Family | None:
        """The family, or None."""
        row = await self.session.get(RefreshFamilyRow, family_id)
        return _family(row) if row else None

    async def revoke_family(self, family_id: str, now: datetime, reason: str) -> bool:
        """Mark a family revoked; False if it already was (or does not exist)."""
        result = await self.session.execute(
            update(RefreshFamilyRow)
            .where(RefreshFamilyRow.id == family_id, RefreshFamilyRow.revoked_at.is_(None))
            .values(revoked_at=now, revoked_reason=reason)
        )
        return _rowcount(result) == 1

    async def revoked_since(self, since: datetime) -> list[tuple[str, datetime]]:
        """Families revoked at or after `since`, with when."""
        query = select(RefreshFamilyRow.id, RefreshFamilyRow.revoked_at).where(
            RefreshFamilyRow.revoked_at >= since
        )
        return [(fid, at) for fid, at in await self.session.execute(query) if at is not None]

    async def add_token(self, token: StoredRefresh) -> None:
        """Insert a refresh token record."""
        self.session.add(
            RefreshTokenRow(
                jti=token.jti,
                family_id=token.family_id,
                parent_jti=token.parent_jti,
                access_jti=token.access_jti,
                kid=token.kid,
                issued_at=token.issued_at,
                expires_at=token.expires_at,
                used_at=token.used_at,
                use_count=token.use_count,
                successor_jti=token.successor_jti,
            )
        )

    async def token(self, jti: str) -> StoredRefresh | None:
        """The token record, or None."""
        row = await self.session.get(RefreshTokenRow, jti, populate_existing=True)
        return _token(row) if row else None

    async def claim(self, jti: str, now: datetime, successor_jti: str) -> bool:
        """Mark an unused token used, naming its successor; True only for the one winner.

        The condition `used_at IS NULL` makes this the whole race: on PostgreSQL a concurrent
        claim blocks on the row lock and then finds the row used; on SQLite writers queue.
        """
        result = await self.session.execute(
            update(RefreshTokenRow)
            .where(RefreshTokenRow.jti == jti, RefreshTokenRow.used_at.is_(None))
            .values(
                used_at=now, use_count=RefreshTokenRow.use_count + 1, successor_jti=successor_jti
            )
        )
        return _rowcount(result) == 1

    async def record_use(self, jti: str, now: datetime) -> bool:
        """Count a use of a reusable token; False if it does not exist."""
        result = await self.session.execute(
            update(RefreshTokenRow)
            .where(RefreshTokenRow.jti == jti)
            .values(used_at=now, use_count=RefreshTokenRow.use_count + 1)
        )
        return _rowcount(result) == 1

    async def successors(self, jti: str) -> list[StoredRefresh]:
        """Tokens whose parent is `jti`."""
        query = select(RefreshTokenRow).where(RefreshTokenRow.parent_jti == jti)
        return [_token(row) for row in await self.session.scalars(query)]

    async def prune(self, ended_before: datetime) -> int:
        """Delete families (and, by cascade, their tokens) that ended before a time."""
        await self.session.execute(
            delete(RefreshTokenRow).where(
                RefreshTokenRow.family_id.in_(
                    select(RefreshFamilyRow.id).where(RefreshFamilyRow.ends_at < ended_before)
                )
            )
        )
        result = await self.session.execute(
            delete(RefreshFamilyRow).where(RefreshFamilyRow.ends_at < ended_before)
        )
        return _rowcount(result)


def _rowcount(result: object) -> int:
    assert isinstance(result, CursorResult)
    return int(result.rowcount)
