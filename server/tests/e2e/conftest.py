"""End-to-end fixtures: deployments of real server processes sharing one database."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any, TypeVar

import pytest

from jpay_server.services import apps, merchants
from jpay_server.services.context import Context
from jpay_server.settings import load_settings
from jpay_server.store.db import Database, open_database
from tests.conftest import SECRET_KEY
from tests.databases import PostgresFactory, SqliteFactory, run
from tests.e2e.servers import Server, serve, server_env

T = TypeVar("T")


@dataclass
class Deployment:
    """Two server processes on one database, and operator access to that database."""

    env: dict[str, str]
    servers: tuple[Server, Server]

    def operate(self, use: Callable[[Context, Database], Awaitable[T]]) -> T:
        """Run a service use case in this process (as the CLI would)."""

        async def work() -> T:
            settings = load_settings(
                database_url=self.env["JPAY_DATABASE_URL"],
                secret_key=SECRET_KEY,
                var_dir=self.env["JPAY_VAR_DIR"],
            )
            database = open_database(settings.database_url)
            try:
                return await use(Context.from_settings(settings), database)
            finally:
                await database.dispose()

        return asyncio.run(work())

    def new_app(self, **options: Any) -> dict[str, Any]:
        """An approved merchant with an app; its credentials as `apps create --json` prints them."""

        async def create(ctx: Context, database: Database) -> dict[str, Any]:
            merchant = await merchants.create_merchant(ctx, database, "E2E", approved=True)
            options.setdefault("products", ("collections",))
            created = await apps.create_app(ctx, database, merchant.id, **options)
            return {
                "merchant_id": merchant.id,
                "app_code": created.app.app_code,
                "app_key": created.app.app_key,
                "app_secret": created.app_secret,
            }

        return self.operate(create)


def database_for(request: pytest.FixtureRequest, backend: str) -> str:
    if backend == "sqlite":
        factory: SqliteFactory = request.getfixturevalue("sqlite_factory")
        return factory.new()
    postgres: PostgresFactory = request.getfixturevalue("postgres_factory")
    holder: list[str] = []

    async def create() -> None:
        holder.append(await postgres.new())

    run(create())
    return holder[0]


@pytest.fixture(scope="module", params=["postgres", "sqlite"])
def deployment(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Deployment]:
    """Two `jpay-server serve` processes on a fresh database, per backend, per module."""
    root = tmp_path_factory.mktemp(f"deploy-{request.param}")
    env = server_env(
        database_for(request, request.param), root / "var", JPAY_REFRESH_REUSE_GRACE="1"
    )
    with ExitStack() as stack:
        a = stack.enter_context(serve(env, root / "a.log"))
        b = stack.enter_context(serve(env, root / "b.log"))
        yield Deployment(env, (a, b))
