"""An in-process server for API tests: the real app, lifespan and database, a frozen clock."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import httpx
from starlette.applications import Starlette

from jpay_server.api.app import create_app
from jpay_server.domain.merchants import Merchant
from jpay_server.services import apps, merchants, wallets
from jpay_server.services.apps import AppCredentials
from jpay_server.services.context import Context
from jpay_server.services.network import advance_due
from jpay_server.services.runtime import Runtime
from jpay_server.services.webhooks import claim_due, finish_delivery
from jpay_server.settings import Settings
from jpay_server.store.db import Database, open_database
from jpay_server.worker.delivery import deliver

T = TypeVar("T")
API = "/api/v1"


class Harness:
    """The app under test, with helpers to act as operator and as merchant."""

    def __init__(self, app: Starlette, settings: Settings, clock: Any = None) -> None:
        self.app = app
        self.settings = settings
        self.clock = clock
        self.client = self.client_from("127.0.0.1")

    def client_from(self, ip: str, port: int = 50000) -> httpx.AsyncClient:
        """A client whose requests arrive from `ip`."""
        transport = httpx.ASGITransport(app=self.app, client=(ip, port))
        return httpx.AsyncClient(transport=transport, base_url="http://testserver")

    @property
    def runtime(self) -> Runtime:
        rt: Runtime = self.app.state.runtime
        return rt

    @property
    def ctx(self) -> Context:
        return self.runtime.ctx

    @property
    def database(self) -> Database:
        return self.runtime.database

    async def run(self, use: Callable[[Context, Database], Awaitable[T]]) -> T:
        """Run an operator use case, as the CLI does."""
        return await use(self.ctx, self.database)

    async def sync(self) -> None:
        """Apply logged access changes now (the background poll does it within 250 ms)."""
        await self.runtime.access.sync()

    async def merchant(self, approved: bool = True) -> Merchant:
        return await self.run(
            lambda c, d: merchants.create_merchant(c, d, "Test merchant", approved)
        )

    async def app_credentials(
        self,
        products: tuple[str, ...] = ("collections",),
        merchant: Merchant | None = None,
        **options: Any,
    ) -> AppCredentials:
        owner = merchant or await self.merchant()
        return await self.run(
            lambda c, d: apps.create_app(c, d, owner.id, products=products, **options)
        )

    async def token(
        self, creds: AppCredentials, client: httpx.AsyncClient | None = None
    ) -> httpx.Response:
        body = {"app_key": creds.app.app_key, "app_secret": creds.app_secret}
        return await (client or self.client).post(f"{API}/auth/app/token", json=body)

    async def tokens(self, creds: AppCredentials) -> dict[str, Any]:
        response = await self.token(creds)
        assert response.status_code == 200, response.text
        data: dict[str, Any] = response.json()
        return data

    async def step_network(self, times: int = 1) -> None:
        """Advance the clock past the sandbox delay and step due payments, `times` times."""
        for _ in range(times):
            self.clock.advance(self.settings.sandbox_step_delay)
            await self.run(advance_due)

    async def deliver_webhooks(self) -> list[str]:
        """One delivery round, as the worker does it; returns each event's new status."""
        due = await claim_due(self.ctx, self.database, 100)
        statuses = []
        async with httpx.AsyncClient() as client:
            for outgoing in due:
                result = await deliver(
                    client,
                    outgoing,
                    self.ctx.clock,
                    self.settings.webhook_timeout,
                    self.settings.allow_private_callbacks,
                )
                status = await finish_delivery(self.ctx, self.database, outgoing, result)
                statuses.append(status.value)
        return statuses

    async def fund(self, merchant_id: int, amount: str) -> None:
        """Top up a merchant's payout wallet, as the operator does."""
        await self.run(lambda c, d: wallets.fund(c, d, merchant_id, amount))

    async def call(self, method: str, path: str, access: str, **kwargs: Any) -> httpx.Response:
        """An authenticated API call."""
        headers = {"Authorization": f"Bearer {access}", **kwargs.pop("headers", {})}
        return await self.client.request(method, f"{API}{path}", headers=headers, **kwargs)

    async def refresh(
        self, refresh: str, client: httpx.AsyncClient | None = None
    ) -> httpx.Response:
        return await (client or self.client).post(f"{API}/auth/refresh", json={"refresh": refresh})

    async def checkouts(
        self, access: str, client: httpx.AsyncClient | None = None
    ) -> httpx.Response:
        headers = {"Authorization": f"Bearer {access}"}
        return await (client or self.client).get(
            f"{API}/payments/collections/checkouts", headers=headers
        )


@asynccontextmanager
async def running(settings: Settings, clock: Callable[[], Any]) -> AsyncIterator[Harness]:
    """Start the app (lifespan included) and stop it afterwards."""
    app = create_app(settings, clock=clock)
    async with app.router.lifespan_context(app):
        harness = Harness(app, settings, clock)
        try:
            yield harness
        finally:
            await harness.client.aclose()


async def stop_polling(harness: Harness) -> None:
    """Stop the background access-state sync (to count queries made by requests alone)."""
    await harness.runtime.stop_tasks()


def unreachable_database() -> Database:
    """A real database client whose server does not answer (nothing listens on port 1)."""
    return open_database("postgresql+asyncpg://postgres@127.0.0.1:1/jpay")
