"""Browser tests: a real server process, Debian's Chromium driven by Playwright, axe-core.

Nothing is downloaded: Playwright launches /usr/bin/chromium (the `chromium` package).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from jpay_server.domain.members import Role
from jpay_server.services import dashboard_sessions
from jpay_server.services.context import Context
from jpay_server.services.dashboard_sessions import SignedIn
from jpay_server.settings import load_settings
from jpay_server.store import users
from jpay_server.store.db import Database, open_database
from tests.conftest import SECRET_KEY
from tests.e2e.servers import Server, serve, server_env
from tests.members import MemberLogin, create_member

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
BLOCKING = {"serious", "critical"}


@dataclass
class Dashboard:
    """One server process on its own database, and operator access to that database."""

    env: dict[str, str]
    server: Server

    @property
    def url(self) -> str:
        return f"{self.server.base_url}/dashboard"

    def run(self, coro: Any) -> Any:
        """Run a coroutine to completion on a thread of its own."""
        with ThreadPoolExecutor(1) as pool:  # Playwright's sync API holds this thread's loop
            return pool.submit(asyncio.run, coro).result()

    def operate(self, use: Any) -> Any:
        """Run `use(ctx, database)` in this process against the server's database."""

        async def work() -> Any:
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

        return self.run(work())

    def session_cookie(self, login: MemberLogin | None = None) -> str:
        """A signed-in session for a (new) merchant owner, opened through the service."""
        url = self.env["JPAY_DATABASE_URL"]
        who = login or self.run(create_member(url, Role.OWNER))

        async def open_one(ctx: Context, database: Database) -> str:
            user = await database.read(lambda conn: users.user_by_id(conn, who.user_id))
            assert user is not None
            signed = SignedIn(user.id, user.merchant_id, user.token_epoch)
            opened = await dashboard_sessions.open_session(
                ctx, database, signed, "127.0.0.1", "pytest"
            )
            return opened.token

        token: str = self.operate(open_one)
        return token


def start_dashboard(
    request: pytest.FixtureRequest, root: Path, **extra: str
) -> Iterator[Dashboard]:
    """A server on a fresh SQLite database, stopped afterwards."""
    factory = request.getfixturevalue("sqlite_factory")
    env = server_env(factory.new(), root / "var", JPAY_LOG_FORMAT="text", **extra)
    with serve(env, root / "server.log") as server:
        yield Dashboard(env, server)


@pytest.fixture(scope="module")
def dashboard(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Dashboard]:
    """A dashboard server shared by one test module."""
    yield from start_dashboard(request, tmp_path_factory.mktemp("dashboard"))


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Headless Chromium from the distribution, per module.

    Playwright's sync API runs an event loop on the main thread while it is open; closing it
    with the module lets later async (anyio) tests run their own loop.
    """
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    """A fresh browser profile (no cookies) for one test."""
    ctx = browser.new_context(viewport={"width": 1280, "height": 800})
    yield ctx
    ctx.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    """A tab in the test's fresh profile."""
    return context.new_page()


def sign_in_with_cookie(context: BrowserContext, dashboard: Dashboard, token: str) -> None:
    """Put a session token in the browser as the sign-in page would."""
    context.add_cookies(
        [
            {
                "name": "jpay_session",
                "value": token,
                "url": dashboard.server.base_url,
                "httpOnly": True,
                "sameSite": "Lax",
            }
        ]
    )


def assert_accessible(page: Page) -> None:
    """axe-core finds no serious or critical violation on the page as it stands."""
    results = Axe().run(page)
    blocking = [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']]}"
        for v in results.response["violations"]
        if v.get("impact") in BLOCKING
    ]
    assert not blocking, f"{page.url}:\n" + "\n".join(blocking)
