"""Merchant users: rows to `User` and `UserAccess` in one place, plain Core functions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Connection, CursorResult, Table, delete, func, insert, select, update

from jpay_server.domain.members import Role
from jpay_server.domain.merchants import MerchantStatus
from jpay_server.domain.users import User, UserAccess, UserStatus, email_key
from jpay_server.store.tables import MerchantRow, MerchantUserRow, RecoveryCodeRow

_USER = cast(Table, MerchantUserRow.__table__)


def _user(row: Any) -> User:
    return User(
        id=row.id,
        merchant_id=row.merchant_id,
        email=row.email,
        role=Role(row.role),
        status=UserStatus(row.status),
        token_epoch=row.token_epoch,
        password_hash=row.password_hash,
        mfa_enabled=row.mfa_enabled_at is not None,
        created_at=row.created_at,
        last_login_at=row.last_login_at,
    )


def add_user(
    conn: Connection,
    merchant_id: int,
    email: str,
    password_hash: str,
    role: Role,
    status: UserStatus,
    now: datetime,
) -> User:
    """Insert a user; the caller has checked that the email is free."""
    values = {
        "merchant_id": merchant_id,
        "email": email,
        "email_key": email_key(email),
        "password_hash": password_hash,
        "role": role.value,
        "status": status.value,
        "token_epoch": 1,
        "created_at": now,
        "updated_at": now,
    }
    user_id = conn.execute(insert(_USER).values(values).returning(_USER.c.id)).scalar_one()
    found = user_by_id(conn, int(user_id))
    assert found is not None
    return found


def user_by_id(conn: Connection, user_id: int) -> User | None:
    """The user, or None."""
    row = conn.execute(select(_USER).where(_USER.c.id == user_id)).first()
    return _user(row) if row else None


def user_by_email(conn: Connection, email: str) -> User | None:
    """The user with this address (case-insensitive), or None."""
    row = conn.execute(select(_USER).where(_USER.c.email_key == email_key(email))).first()
    return _user(row) if row else None


def users_of(conn: Connection, merchant_id: int) -> list[User]:
    """A merchant's users, oldest first."""
    rows = conn.execute(
        select(_USER).where(_USER.c.merchant_id == merchant_id).order_by(_USER.c.id)
    )
    return [_user(row) for row in rows]


def count_owners(conn: Connection, merchant_id: int) -> int:
    """How many active owners a merchant has."""
    query = select(func.count()).where(
        _USER.c.merchant_id == merchant_id,
        _USER.c.role == Role.OWNER.value,
        _USER.c.status == UserStatus.ACTIVE.value,
    )
    return int(conn.execute(query).scalar_one())


def update_user(conn: Connection, user_id: int, now: datetime, **values: Any) -> None:
    """Write some columns of a user (role, status, password_hash, mfa_*, last_login_at)."""
    conn.execute(update(_USER).where(_USER.c.id == user_id).values(updated_at=now, **values))


def end_tokens(conn: Connection, user_id: int, now: datetime) -> None:
    """Bump the user's token epoch: every token issued before ends (live, within a second)."""
    conn.execute(
        update(_USER)
        .where(_USER.c.id == user_id)
        .values(token_epoch=_USER.c.token_epoch + 1, updated_at=now)
    )


def delete_user(conn: Connection, user_id: int) -> bool:
    """Remove a user; False if there was none."""
    result = conn.execute(delete(_USER).where(_USER.c.id == user_id))
    assert isinstance(result, CursorResult)
    return result.rowcount == 1


_ACCESS = select(
    _USER.c.id,
    _USER.c.merchant_id,
    _USER.c.role,
    _USER.c.status,
    _USER.c.token_epoch,
    _USER.c.mfa_enabled_at,
    MerchantRow.status.label("merchant_status"),
    MerchantRow.require_mfa,
).join(MerchantRow, MerchantRow.id == _USER.c.merchant_id)


def user_access(conn: Connection, user_id: int) -> UserAccess | None:
    """The live state a user token is checked against (one statement)."""
    row = conn.execute(_ACCESS.where(_USER.c.id == user_id)).first()
    if row is None:
        return None
    return UserAccess(
        user_id=row.id,
        merchant_id=row.merchant_id,
        role=Role(row.role),
        status=UserStatus(row.status),
        token_epoch=row.token_epoch,
        merchant_status=MerchantStatus(row.merchant_status),
        mfa_enabled=row.mfa_enabled_at is not None,
        mfa_required=bool(row.require_mfa),
    )


@dataclass(frozen=True, slots=True)
class MfaState:
    """A user's second factor: the sealed secret, whether confirmed, the last step used."""

    sealed: bytes | None
    enabled: bool
    last_step: int | None

    def __repr__(self) -> str:
        return f"MfaState(enabled={self.enabled})"


def mfa_state(conn: Connection, user_id: int) -> MfaState:
    """The user's MFA columns."""
    row = conn.execute(
        select(_USER.c.mfa_secret, _USER.c.mfa_enabled_at, _USER.c.mfa_last_step).where(
            _USER.c.id == user_id
        )
    ).first()
    if row is None:
        return MfaState(None, False, None)
    return MfaState(row.mfa_secret, row.mfa_enabled_at is not None, row.mfa_last_step)


def use_step(conn: Connection, user_id: int, step: int) -> bool:
    """Record a used TOTP step; False if it (or a later one) was used already."""
    result = conn.execute(
        update(_USER)
        .where(
            _USER.c.id == user_id,
            (_USER.c.mfa_last_step.is_(None)) | (_USER.c.mfa_last_step < step),
        )
        .values(mfa_last_step=step)
    )
    assert isinstance(result, CursorResult)
    return result.rowcount == 1


_CODES = cast(Table, RecoveryCodeRow.__table__)


def replace_recovery_codes(conn: Connection, user_id: int, digests: list[bytes]) -> None:
    """Drop a user's recovery codes and store new ones (digests)."""
    conn.execute(delete(_CODES).where(_CODES.c.user_id == user_id))
    if digests:
        conn.execute(insert(_CODES), [{"digest": d, "user_id": user_id} for d in digests])


def use_recovery_code(conn: Connection, user_id: int, digest: bytes, now: datetime) -> bool:
    """Spend one recovery code; False if it is not the user's or was used."""
    result = conn.execute(
        update(_CODES)
        .where(_CODES.c.digest == digest, _CODES.c.user_id == user_id, _CODES.c.used_at.is_(None))
        .values(used_at=now)
    )
    assert isinstance(result, CursorResult)
    return result.rowcount == 1


def recovery_codes_left(conn: Connection, user_id: int) -> int:
    """How many unused recovery codes the user has."""
    query = select(func.count()).where(_CODES.c.user_id == user_id, _CODES.c.used_at.is_(None))
    return int(conn.execute(query).scalar_one())
