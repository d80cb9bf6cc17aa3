"""Fresh, migrated databases for tests: SQLite files and real PostgreSQL databases.

Each test gets its own database made from a template migrated once per run, so the schema
under test is always the one the Alembic migrations build.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
from sqlalchemy.engine import make_url

from jpay_server.store import migrate
from jpay_server.store.db import open_database

T = TypeVar("T")

# The admin URL of a PostgreSQL server tests may create databases on (trust auth locally).
POSTGRES_ADMIN_URL = os.environ.get(
    "JPAY_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)


async def migrate_url(url: str) -> None:
    """Apply every migration to the database at `url`."""
    database = open_database(url)
    try:
        await migrate.upgrade(database)
    finally:
        await database.dispose()


class SqliteFactory:
    """New SQLite databases, each a copy of one migrated template file."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.template = root / "template.db"
        self.count = 0

    async def prepare(self) -> None:
        await migrate_url(f"sqlite+aiosqlite:///{self.template}")

    def new(self) -> str:
        self.count += 1
        path = self.root / f"test-{self.count}.db"
        shutil.copyfile(self.template, path)
        return f"sqlite+aiosqlite:///{path}"


class PostgresFactory:
    """New PostgreSQL databases, each created from a migrated template database."""

    def __init__(self) -> None:
        self.admin = POSTGRES_ADMIN_URL
        self.prefix = f"jpay_t{os.getpid()}_{secrets.token_hex(3)}"
        self.template = f"{self.prefix}_template"
        self.created: list[str] = []

    def _url(self, name: str) -> str:
        url = make_url(self.admin).set(drivername="postgresql+asyncpg", database=name)
        return url.render_as_string(hide_password=False)

    async def _admin(self, sql: str) -> None:
        conn = await asyncpg.connect(self.admin)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    async def prepare(self) -> None:
        await self._admin(f'CREATE DATABASE "{self.template}"')
        await migrate_url(self._url(self.template))

    async def new(self) -> str:
        name = f"{self.prefix}_{len(self.created)}"
        await self._admin(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"')
        self.created.append(name)
        return self._url(name)

    async def drop_all(self) -> None:
        for name in [*self.created, self.template]:
            await self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine from synchronous fixture code, even inside a running event loop."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()
