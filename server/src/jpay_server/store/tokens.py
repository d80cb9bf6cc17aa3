"""Refresh-token state: used tokens (single-use rotation is one conditional INSERT) and
revoked families. Unused refresh tokens are never stored: their claims say all there is."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, CursorResult, bindparam, delete, exists, select
from sqlalchemy.dialects import postgresql, sqlite

from jpay_server.domain.refresh import SPENT, RefreshUse, Successor
from jpay_server.store.tables import RefreshUseRow, RevokedFamilyRow, UTCDateTime

_USE = RefreshUseRow.__table__
_NOT_REVOKED = ~exists().where(RevokedFamilyRow.id == bindparam("family_id"))
_FIELDS = {
    "jti": RefreshUseRow.jti.type,
    "family_id": RefreshUseRow.family_id.type,
    "app_code": RefreshUseRow.app_code.type,
    "used_at": UTCDateTime(),
    "use_count": RefreshUseRow.use_count.type,
    "successor_jti": RefreshUseRow.successor_jti.type,
    "successor_access_jti": RefreshUseRow.successor_access_jti.type,
    "successor_issued_at": UTCDateTime(),
    "successor_kid": RefreshUseRow.successor_kid.type,
}
# The new row, unless the family is revoked: INSERT ... SELECT <params> WHERE NOT EXISTS (...).
_CANDIDATE = select(*(bindparam(name, type_=kind) for name, kind in _FIELDS.items())).where(
    _NOT_REVOKED
)
_STATEMENTS: dict[tuple[str, str], Any] = {}


def _insert(dialect: str) -> Any:
    """The dialect's own INSERT (both have ON CONFLICT), from the candidate SELECT."""
    module: Any = postgresql if dialect == "postgresql" else sqlite
    return module.insert(_USE).from_select(list(_FIELDS), _CANDIDATE)


def _statement(conn: Connection, kind: str) -> Any:
    """The dialect's upsert for `kind`, built once per dialect."""
    key = (conn.dialect.name, kind)
    if key not in _STATEMENTS:
        insert = _insert(conn.dialect.name)
        if kind == "first_use":
            _STATEMENTS[key] = insert.on_conflict_do_nothing(index_elements=["jti"])
        else:
            _STATEMENTS[key] = insert.on_conflict_do_update(
                index_elements=["jti"],
                set_={"use_count": RefreshUseRow.use_count + 1, "used_at": insert.excluded.used_at},
                where=RefreshUseRow.use_count != SPENT,  # spent under rotation: stays spent
            ).returning(RefreshUseRow.use_count)
    return _STATEMENTS[key]


def _values(use: RefreshUse) -> dict[str, Any]:
    successor = use.successor
    return {
        "jti": use.jti,
        "family_id": use.family_id,
        "app_code": use.app_code,
        "used_at": use.used_at,
        "use_count": use.use_count,
        "successor_jti": successor.jti if successor else None,
        "successor_access_jti": successor.access_jti if successor else None,
        "successor_issued_at": successor.issued_at if successor else None,
        "successor_kid": successor.kid if successor else None,
    }


def record_first_use(conn: Connection, use: RefreshUse) -> bool:
    """Record a token's only use; False if it was used before or its family is revoked.

    The primary key lets one of any number of concurrent uses in: on PostgreSQL the others
    wait for it to commit and then do nothing; on SQLite writers take turns.
    """
    result = conn.execute(_statement(conn, "first_use"), _values(use))
    assert isinstance(result, CursorResult)
    return result.rowcount == 1


def count_use(conn: Connection, use: RefreshUse) -> int | None:
    """Count a use of a reusable token: how many so far; None if its family is revoked or the
    token was spent under rotation."""
    count = conn.execute(_statement(conn, "count"), _values(use)).scalar()
    return int(count) if count is not None else None


def use_of(conn: Connection, jti: str) -> RefreshUse | None:
    """What is remembered about a used token, or None if it was never used."""
    row = conn.execute(select(_USE).where(RefreshUseRow.jti == jti)).first()
    if row is None:
        return None
    successor = None
    if row.successor_jti is not None:
        issued = UTCDateTime().process_result_value(row.successor_issued_at, conn.dialect)
        assert issued is not None
        successor = Successor(
            row.successor_jti, row.successor_access_jti, issued, row.successor_kid
        )
    used_at = UTCDateTime().process_result_value(row.used_at, conn.dialect)
    assert used_at is not None
    return RefreshUse(row.jti, row.family_id, row.app_code, used_at, row.use_count, successor)


def is_revoked(conn: Connection, family_id: str) -> bool:
    """True if the family has been revoked."""
    query = select(RevokedFamilyRow.id).where(RevokedFamilyRow.id == family_id)
    return conn.execute(query).first() is not None


def revoke_family(
    conn: Connection, family_id: str, app_code: int, now: datetime, reason: str
) -> bool:
    """Revoke a family; False if it already was."""
    module: Any = postgresql if conn.dialect.name == "postgresql" else sqlite
    statement = module.insert(RevokedFamilyRow.__table__).on_conflict_do_nothing(
        index_elements=["id"]
    )
    values = {"id": family_id, "app_code": app_code, "revoked_at": now, "reason": reason}
    result = conn.execute(statement, values)
    assert isinstance(result, CursorResult)
    return result.rowcount == 1


def revoked_since(conn: Connection, since: datetime) -> list[tuple[str, datetime]]:
    """Families revoked at or after `since`, with when."""
    rows = conn.execute(
        select(RevokedFamilyRow.id, RevokedFamilyRow.revoked_at).where(
            RevokedFamilyRow.revoked_at >= since
        )
    )
    return [(fid, at) for fid, at in rows]


def prune(conn: Connection, before: datetime) -> int:
    """Forget uses and revocations older than `before` (no token they concern can be alive)."""
    used = conn.execute(delete(RefreshUseRow).where(RefreshUseRow.used_at < before))
    conn.execute(delete(RevokedFamilyRow).where(RevokedFamilyRow.revoked_at < before))
    assert isinstance(used, CursorResult)
    return int(used.rowcount)
