"""Apps, their secret generations, and the joined access state (Core functions)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, bindparam, insert, select, update

from jpay_server.domain.access import AppAccess
from jpay_server.domain.allowlists import Allowlist
from jpay_server.domain.apps import App, RefreshPolicy
from jpay_server.domain.credentials import SecretRecord
from jpay_server.domain.merchants import MerchantStatus
from jpay_server.store.tables import AppRow, AppSecretRow, MerchantRow


def _app(row: Row[Any]) -> App:
    return App(
        app_code=row.app_code,
        merchant_id=row.merchant_id,
        name=row.name,
        app_key=row.app_key,
        active=row.active,
        products=tuple(row.products),
        allowed_ips=tuple(row.allowed_ips),
        refresh_policy=RefreshPolicy(row.refresh_policy),
        created_at=row.created_at,
        webhook_url=row.webhook_url,
    )


def _secret(row: Row[Any]) -> SecretRecord:
    return SecretRecord(
        generation=row.generation,
        digest=row.digest,
        created_at=row.created_at,
        expires_at=row.expires_at,
        last_used_at=row.last_used_at,
    )


_APPS = AppRow.__table__


def add_app(conn: Connection, app: App) -> None:
    """Insert an app."""
    conn.execute(
        insert(AppRow).values(
            app_code=app.app_code,
            merchant_id=app.merchant_id,
            name=app.name,
            app_key=app.app_key,
            active=app.active,
            products=list(app.products),
            allowed_ips=list(app.allowed_ips),
            refresh_policy=app.refresh_policy,
            webhook_url=app.webhook_url,
            created_at=app.created_at,
            updated_at=app.created_at,
        )
    )


def app_code_taken(conn: Connection, app_code: int) -> bool:
    """True if an app already has this code."""
    found = conn.execute(select(AppRow.app_code).where(AppRow.app_code == app_code)).first()
    return found is not None


def app_by_code(conn: Connection, app_code: int, *, for_update: bool = False) -> App | None:
    """The app, or None; `for_update` locks its row until the transaction ends."""
    query = select(_APPS).where(AppRow.app_code == app_code)
    row = conn.execute(query.with_for_update() if for_update else query).first()
    return _app(row) if row else None


def save_app(conn: Connection, app: App, now: datetime) -> None:
    """Write back an app's mutable fields."""
    conn.execute(
        update(AppRow)
        .where(AppRow.app_code == app.app_code)
        .values(
            name=app.name,
            active=app.active,
            products=list(app.products),
            allowed_ips=list(app.allowed_ips),
            refresh_policy=app.refresh_policy,
            webhook_url=app.webhook_url,
            updated_at=now,
        )
    )


def apps_of(conn: Connection, merchant_id: int | None = None) -> list[App]:
    """Apps, optionally of one merchant, oldest first."""
    query = select(_APPS).order_by(AppRow.created_at, AppRow.app_code)
    if merchant_id is not None:
        query = query.where(AppRow.merchant_id == merchant_id)
    return [_app(row) for row in conn.execute(query)]


def secrets_of(conn: Connection, app_code: int) -> list[SecretRecord]:
    """Every secret generation of an app, oldest first."""
    return [_secret(row) for row in conn.execute(_SECRETS, {"app_code": app_code})]


def add_secret(conn: Connection, app_code: int, record: SecretRecord) -> None:
    """Insert a new secret generation."""
    conn.execute(
        insert(AppSecretRow).values(
            app_code=app_code,
            generation=record.generation,
            digest=record.digest,
            created_at=record.created_at,
            expires_at=record.expires_at,
        )
    )


def expire_secrets(conn: Connection, app_code: int, below: int, at: datetime) -> None:
    """End every live generation older than `below` at time `at`."""
    conn.execute(
        update(AppSecretRow)
        .where(
            AppSecretRow.app_code == app_code,
            AppSecretRow.generation < below,
            (AppSecretRow.expires_at.is_(None)) | (AppSecretRow.expires_at > at),
        )
        .values(expires_at=at)
    )


_APP_STATE = select(AppRow.__table__, MerchantRow.status.label("merchant_status")).join(
    MerchantRow, MerchantRow.id == AppRow.merchant_id
)
_SECRETS = (
    select(AppSecretRow.__table__)
    .where(AppSecretRow.app_code == bindparam("app_code"))
    .order_by(AppSecretRow.generation)
)
_BY_CODE = _APP_STATE.where(AppRow.app_code == bindparam("app_code"))
_BY_KEY = _APP_STATE.where(AppRow.app_key == bindparam("app_key"))
_TOUCH = (
    update(AppSecretRow)
    .where(AppSecretRow.app_code == bindparam("code"), AppSecretRow.generation == bindparam("gen"))
    .values(last_used_at=bindparam("now"))
)


def app_access(
    conn: Connection, *, app_code: int | None = None, app_key: str | None = None
) -> AppAccess | None:
    """The live access state of an app, by code or by app_key (two statements)."""
    if app_code is not None:
        row = conn.execute(_BY_CODE, {"app_code": app_code}).first()
    else:
        row = conn.execute(_BY_KEY, {"app_key": app_key}).first()
    if row is None:
        return None
    secrets = tuple(_secret(r) for r in conn.execute(_SECRETS, {"app_code": row.app_code}))
    return AppAccess(
        app_code=row.app_code,
        app_key=row.app_key,
        merchant_id=row.merchant_id,
        merchant_status=MerchantStatus(row.merchant_status),
        active=row.active,
        products=frozenset(row.products),
        allowlist=Allowlist.of(row.allowed_ips),
        secrets=secrets,
        refresh_policy=RefreshPolicy(row.refresh_policy),
        webhook_url=row.webhook_url,
    )


def touch_secret(conn: Connection, app_code: int, generation: int, now: datetime) -> None:
    """Record that a secret generation was just used."""
    conn.execute(_TOUCH, {"code": app_code, "gen": generation, "now": now})
