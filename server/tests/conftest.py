"""Fixtures shared by every test: clocks, databases on both backends, settings, the app."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from jpay_server.settings import Settings, load_settings
from tests.databases import PostgresFactory, SqliteFactory, run

SECRET_KEY = "test-secret-key-with-at-least-32-characters-0123456789"
BACKENDS = ["sqlite", "postgres"]


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    return "asyncio"


class FrozenClock:
    """A clock that moves only when told to."""

    def __init__(self, start: datetime | None = None) -> None:
        # Real time, to the second: webhook verifiers compare signatures' timestamps with it.
        self.now = start or datetime.now(UTC).replace(microsecond=0)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock()


@pytest.fixture(scope="session")
def sqlite_factory(tmp_path_factory: pytest.TempPathFactory) -> SqliteFactory:
    factory = SqliteFactory(tmp_path_factory.mktemp("sqlite"))
    run(factory.prepare())
    return factory


@pytest.fixture(scope="session")
def postgres_factory() -> Iterator[PostgresFactory]:
    factory = PostgresFactory()
    try:
        run(factory.prepare())
    except OSError as exc:  # pragma: no cover - the suite needs a real PostgreSQL
        pytest.fail(f"PostgreSQL is required for the storage tests and is unreachable: {exc}")
    yield factory
    run(factory.drop_all())


@pytest.fixture(params=BACKENDS)
async def any_database_url(
    request: pytest.FixtureRequest, sqlite_factory: SqliteFactory
) -> AsyncIterator[str]:
    """A fresh migrated database on each backend in turn."""
    if request.param == "sqlite":
        yield sqlite_factory.new()
    else:
        factory: PostgresFactory = request.getfixturevalue("postgres_factory")
        yield await factory.new()


@pytest.fixture
def database_url(sqlite_factory: SqliteFactory) -> str:
    """A fresh migrated SQLite database (the default backend)."""
    return sqlite_factory.new()


@pytest.fixture
def make_settings(tmp_path: Path) -> Callable[..., Settings]:
    """Settings for tests: a fixed secret, a private var dir, overridable fields."""

    def build(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "secret_key": SECRET_KEY,
            "var_dir": tmp_path / "var",
            "log_format": "text",
        }
        values.update(overrides)
        return load_settings(**values)

    return build


@pytest.fixture
async def harness(
    make_settings: Callable[..., Settings], database_url: str, clock: FrozenClock
) -> AsyncIterator[Any]:
    """The app on a fresh SQLite database, with a frozen clock, rate limits and worker off."""
    from tests.harness import running

    settings = make_settings(
        database_url=database_url, rate_limit_enabled=False, worker_in_process=False
    )
    async with running(settings, clock) as h:
        yield h


@pytest.fixture
async def any_harness(
    make_settings: Callable[..., Settings], any_database_url: str, clock: FrozenClock
) -> AsyncIterator[Any]:
    """The app on a fresh database of each backend in turn."""
    from tests.harness import running

    settings = make_settings(
        database_url=any_database_url, rate_limit_enabled=False, worker_in_process=False
    )
    async with running(settings, clock) as h:
        yield h
