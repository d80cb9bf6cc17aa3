"""Fixtures for the SDK tests: the real server app on a fresh database, and a shared clock."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from live_server import (
    InProcess,
    SqliteTemplate,
    SyncInProcess,
    WorldClock,
    in_process,
    settings_for,
    sync_in_process,
)

from jpay_server.settings import Settings


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> SqliteTemplate:
    template = SqliteTemplate(tmp_path_factory.mktemp("sdk-sqlite"))
    template.prepare()
    return template


@pytest.fixture
def database_url(sqlite_template: SqliteTemplate) -> str:
    return sqlite_template.new()


@pytest.fixture
def world() -> WorldClock:
    """The server's frozen clock; the SDK's clock follows it unless given an offset."""
    return WorldClock()


@pytest.fixture
def make_settings(database_url: str, tmp_path: Path) -> Callable[..., Settings]:
    def build(**overrides: Any) -> Settings:
        return settings_for(database_url, tmp_path / "var", **overrides)

    return build


@pytest.fixture
async def server(
    make_settings: Callable[..., Settings], world: WorldClock
) -> AsyncIterator[InProcess]:
    """The app in process with default settings and the frozen world clock."""
    async with in_process(make_settings(), world) as s:
        yield s


@pytest.fixture
def sync_server(
    make_settings: Callable[..., Settings], world: WorldClock
) -> Iterator[SyncInProcess]:
    """The app behind a TestClient with default settings and the frozen world clock."""
    with sync_in_process(make_settings(), world) as s:
        yield s
