"""Emailed link tokens, by digest: add, find, mark used (once)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import Connection, CursorResult, Table, delete, insert, select, update

from jpay_server.domain.links import LinkPurpose, LinkToken
from jpay_server.domain.members import Role
from jpay_server.store.tables import LinkTokenRow

_LINK = cast(Table, LinkTokenRow.__table__)


def _link(row: Any) -> LinkToken:
    return LinkToken(
        digest=row.digest,
        purpose=LinkPurpose(row.purpose),
        merchant_id=row.merchant_id,
        user_id=row.user_id,
        email=row.email,
        role=Role(row.role) if row.role else None,
        created_by=row.created_by,
        created_at=row.created_at,
        expires_at=row.expires_at,
        used_at=row.used_at,
    )


def add_link(conn: Connection, link: LinkToken) -> None:
    """Store a new link token (its digest only)."""
    conn.execute(
        insert(_LINK).values(
            digest=link.digest,
            purpose=link.purpose.value,
            merchant_id=link.merchant_id,
            user_id=link.user_id,
            email=link.email,
            role=link.role.value if link.role else None,
            created_by=link.created_by,
            created_at=link.created_at,
            expires_at=link.expires_at,
        )
    )


def link_by_digest(conn: Connection, digest: bytes) -> LinkToken | None:
    """The link token with this digest, or None."""
    row = conn.execute(select(_LINK).where(_LINK.c.digest == digest)).first()
    return _link(row) if row else None


def use_link(conn: Connection, digest: bytes, now: datetime) -> bool:
    """Mark a token used; False if it already was (two tabs, one wins)."""
    result = conn.execute(
        update(_LINK).where(_LINK.c.digest == digest, _LINK.c.used_at.is_(None)).values(used_at=now)
    )
    assert isinstance(result, CursorResult)
    return result.rowcount == 1


def end_links(conn: Connection, user_id: int, purpose: LinkPurpose, now: datetime) -> None:
    """Use up every open token of a purpose for a user (the newest replaces them)."""
    conn.execute(
        update(_LINK)
        .where(
            _LINK.c.purpose == purpose.value,
            _LINK.c.user_id == user_id,
            _LINK.c.used_at.is_(None),
        )
        .values(used_at=now)
    )


def prune_links(conn: Connection, before: datetime) -> None:
    """Forget tokens that expired before `before`."""
    conn.execute(delete(_LINK).where(_LINK.c.expires_at < before))
