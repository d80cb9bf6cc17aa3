"""App repository: apps, their secret generations, and the joined access state."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from jpay_server.domain.access import AppAccess
from jpay_server.domain.allowlists import Allowlist
from jpay_server.domain.apps import App, RefreshPolicy
from jpay_server.domain.credentials import SecretRecord
from jpay_server.domain.merchants import MerchantStatus
from jpay_server.store.tables import AppRow, AppSecretRow, MerchantRow


def _app(row: AppRow) -> App:
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


def _secret(row: AppSecretRow) -> SecretRecord:
    return SecretRecord(
        generation=row.generation,
        digest=row.digest,
        created_at=row.created_at,
        expires_at=row.expires_at,
        last_used_at=row.last_used_at,
    )


class AppRepository:
    """Reads and writes apps inside the caller's transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, app: App) -> None:
        """Insert an app."""
        self.session.add(
            AppRow(
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
        await self.session.flush()

    async def code_taken(self, app_code: int) -> bool:
        """True if an app already has this code."""
        return await self.session.get(AppRow, app_code) is not None

    async def get(self, app_code: int, *, for_update: bool = False) -> App | None:
        """The app, or None; `for_update` locks its row until the transaction ends."""
        row = await self.session.get(AppRow, app_code, with_for_update=for_update)
        return _app(row) if row else None

    async def save(self, app: App, now: datetime) -> None:
        """Write back an app's mutable fields."""
        row = await self.session.get_one(AppRow, app.app_code)
        row.name = app.name
        row.active = app.active
        row.products = list(app.products)
        row.allowed_ips = list(app.allowed_ips)
        row.refresh_policy = app.refresh_policy
        row.webhook_url = app.webhook_url
        row.updated_at = now
        await self.session.flush()  # autoflush is off: later reads must see this

    async def all(self, merchant_id: int | None = None) -> list[App]:
        """Apps, optionally of one merchant, oldest first."""
        query = select(AppRow).order_by(AppRow.created_at, AppRow.app_code)
        if merchant_id is not None:
            query = query.where(AppRow.merchant_id == merchant_id)
        return [_app(row) for row in await self.session.scalars(query)]

    async def codes_of_merchant(self, merchant_id: int) -> list[int]:
        """The codes of a merchant's apps."""
        query = select(AppRow.app_code).where(AppRow.merchant_id == merchant_id)
        return list(await self.session.scalars(query))

    async def secrets(self, app_code: int) -> list[SecretRecord]:
        """Every secret generation of an app, oldest first."""
        query = (
            select(AppSecretRow)
            .where(AppSecretRow.app_code == app_code)
            .order_by(AppSecretRow.generation)
        )
        return [_secret(row) for row in await self.session.scalars(query)]

    async def add_secret(self, app_code: int, record: SecretRecord) -> None:
        """Insert a new secret generation."""
        self.session.add(
            AppSecretRow(
                app_code=app_code,
                generation=record.generation,
                digest=record.digest,
                created_at=record.created_at,
                expires_at=record.expires_at,
            )
        )
        await self.session.flush()

    async def expire_secrets(self, app_code: int, below: int, at: datetime) -> None:
        """End every live generation older than `below` at time `at`."""
        await self.session.execute(
            update(AppSecretRow)
            .where(
                AppSecretRow.app_code == app_code,
                AppSecretRow.generation < below,
                (AppSecretRow.expires_at.is_(None)) | (AppSecretRow.expires_at > at),
            )
            .values(expires_at=at)
        )

    async def touch_secret(self, app_code: int, generation: int, now: datetime) -> None:
        """Record that a secret generation was just used."""
        await self.session.execute(
            update(AppSecretRow)
            .where(AppSecretRow.app_code == app_code, AppSecretRow.generation == generation)
            .values(last_used_at=now)
        )

    async def access(self, app_code: int) -> AppAccess | None:
        """The live access state of an app by code."""
        return await self._access(AppRow.app_code == app_code)

    async def access_by_key(self, app_key: str) -> AppAccess | None:
        """The live access state of an app by its app_key."""
        return await self._access(AppRow.app_key == app_key)

    async def _access(self, where: object) -> AppAccess | None:
        query = (
            select(AppRow, MerchantRow.status)
            .join(MerchantRow, MerchantRow.id == AppRow.merchant_id)
            .where(where)  # type: ignore[arg-type]
        )
        found = (await self.session.execute(query)).first()
        if found is None:
            return None
        row, status = found
        return AppAccess(
            app_code=row.app_code,
            app_key=row.app_key,
            merchant_id=row.merchant_id,
            merchant_status=MerchantStatus(status),
            active=row.active,
            products=frozenset(row.products),
            allowlist=Allowlist.of(row.allowed_ips),
            secrets=tuple(await self.secrets(row.app_code)),
            refresh_policy=RefreshPolicy(row.refresh_policy),
        )
