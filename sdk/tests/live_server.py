"""The real JPay server for SDK tests: in process (ASGI), or as a `jpay-server` process.

Nothing here fakes the server: the app is `jpay_server.api.app.create_app` on a migrated
SQLite database, merchants and apps are made with the server's own services, and time is the
server's injected clock. The helpers only observe (which requests reached the app, and what
it answered) and operate (suspend a merchant, revoke a family), as an operator would.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import threading
import warnings
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, TypeVar

import httpx
from starlette.exceptions import StarletteDeprecationWarning
from starlette.types import Message, Receive, Scope, Send

from jpay_server.api.app import create_app
from jpay_server.services import apps, merchants
from jpay_server.services.context import Context
from jpay_server.services.runtime import Runtime
from jpay_server.settings import Settings, load_settings
from jpay_server.store import migrate
from jpay_server.store.db import Database, open_database
from jpay_server.worker import runner

with warnings.catch_warnings():
    # Starlette would rather drive its TestClient with `httpx2`; with `httpx` (which the SDK
    # uses) it warns, and it is exactly an httpx.Client, which is what the sync SDK needs.
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from starlette.testclient import TestClient

from jpay import AsyncJPay, JPay
from testsupport import processes
from testsupport.processes import free_port

T = TypeVar("T")

SECRET_KEY = "sdk-test-secret-key-with-more-than-32-characters-0123456789"
API = "/api/v1"
Use = Callable[[Context, Database], Awaitable[T]]


def run_sync(coro: Awaitable[T]) -> T:
    """Run a coroutine to completion from any code, even inside a running event loop."""

    async def main() -> T:
        return await coro

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, main()).result()


class SqliteTemplate:
    """A SQLite file migrated once; each test gets a fresh copy."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.template = root / "template.db"
        self.count = 0

    def prepare(self) -> None:
        async def upgrade() -> None:
            database = open_database(f"sqlite+aiosqlite:///{self.template}")
            try:
                await migrate.upgrade(database)
            finally:
                await database.dispose()

        run_sync(upgrade())

    def new(self) -> str:
        self.count += 1
        path = self.root / f"db-{self.count}.db"
        shutil.copyfile(self.template, path)
        return f"sqlite+aiosqlite:///{path}"


def settings_for(database_url: str, var_dir: Path, **overrides: Any) -> Settings:
    """Server settings for a test: a fixed secret, rate limits off unless asked for."""
    values: dict[str, Any] = {
        "secret_key": SECRET_KEY,
        "database_url": database_url,
        "var_dir": var_dir,
        "log_format": "text",
        "rate_limit_enabled": False,
    }
    values.update(overrides)
    return load_settings(**values)


class WorldClock:
    """The server's frozen clock, and a local clock for the SDK that is `offset` off it."""

    def __init__(self, start: datetime | None = None, offset: float = 0.0) -> None:
        self.now = start or datetime.now(UTC).replace(microsecond=0)
        self.offset = offset

    def __call__(self) -> datetime:  # the server's clock
        return self.now

    def local(self) -> float:
        """The SDK's clock: the server's time plus `offset` seconds."""
        return self.now.timestamp() + self.offset

    def advance(self, seconds: float) -> None:
        """Move both clocks."""
        self.now += timedelta(seconds=seconds)


class Recorder:
    """ASGI middleware recording (method, path, status) of every exchange with the app."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.calls: list[tuple[str, str, int]] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def record(message: Message) -> None:
            if message["type"] == "http.response.start":
                self.calls.append((scope["method"], scope["path"], message["status"]))
            await send(message)

        await self.app(scope, receive, record)

    def count(self, path: str, status: int | None = None) -> int:
        """How many requests to `path` (under /api/v1) got `status` (any if None)."""
        return sum(1 for _, p, s in self.calls if p == API + path and status in (None, s))

    def statuses(self) -> Counter[int]:
        """How many responses had each status."""
        return Counter(s for _, _, s in self.calls)

    def clear(self) -> None:
        """Forget what was recorded."""
        self.calls.clear()


@dataclass
class AppCreds:
    """A merchant's app, as an operator hands it over."""

    merchant_id: int
    app_code: int
    app_key: str
    app_secret: str
    webhook_secret: str

    def __repr__(self) -> str:
        return f"AppCreds(app_code={self.app_code})"


async def new_app(
    ctx: Context, database: Database, products: tuple[str, ...], **options: Any
) -> AppCreds:
    """An approved merchant with one app."""
    merchant = await merchants.create_merchant(ctx, database, "SDK tests", approved=True)
    created = await apps.create_app(ctx, database, merchant.id, products=products, **options)
    assert created.webhook_secret is not None
    return AppCreds(
        merchant.id,
        created.app.app_code,
        created.app.app_key,
        created.app_secret,
        created.webhook_secret,
    )


class InProcess:
    """The app in this process: an ASGI app for httpx, the runtime to operate on."""

    base_url = "http://testserver" + API

    def __init__(self, app: Any, recorder: Recorder) -> None:
        self.fastapi = app
        self.recorder = recorder

    @property
    def runtime(self) -> Runtime:
        """The server's runtime (database, access cache)."""
        runtime: Runtime = self.fastapi.state.runtime
        return runtime

    async def operate(self, use: Use[T]) -> T:
        """Run a service use case in one transaction, then apply access changes at once."""
        result = await use(self.runtime.ctx, self.runtime.database)
        await self.runtime.access.sync()
        return result

    async def new_app(
        self, products: tuple[str, ...] = ("collections",), **options: Any
    ) -> AppCreds:
        """An approved merchant with one app."""
        return await self.operate(lambda c, d: new_app(c, d, products, **options))

    def http(self, **kwargs: Any) -> httpx.AsyncClient:
        """An httpx client whose requests go to the app in process."""
        transport = httpx.ASGITransport(app=self.recorder)
        return httpx.AsyncClient(transport=transport, base_url="http://testserver", **kwargs)


def _create_app(settings: Settings, clock: Callable[[], datetime]) -> Any:
    """The app with the worker beside it when the settings say so, as `jpay-server serve` runs."""
    background = (runner.run,) if settings.worker_in_process else ()
    return create_app(settings, clock=clock, background=background)


@asynccontextmanager
async def in_process(settings: Settings, clock: Callable[[], datetime]) -> AsyncIterator[InProcess]:
    """Start the app with its lifespan (for AsyncJPay over ASGITransport)."""
    app = _create_app(settings, clock)
    async with app.router.lifespan_context(app):
        yield InProcess(app, Recorder(app))


class SyncInProcess:
    """The app behind Starlette's TestClient (an httpx.Client), for the sync JPay."""

    base_url = "http://testserver" + API

    def __init__(self, client: TestClient, app: Any, recorder: Recorder) -> None:
        self.client = client
        self.fastapi = app
        self.recorder = recorder

    def operate(self, use: Use[T]) -> T:
        """Run a service use case on the app's event loop, then apply access changes."""
        runtime: Runtime = self.fastapi.state.runtime

        async def work() -> T:
            result = await use(runtime.ctx, runtime.database)
            await runtime.access.sync()
            return result

        assert self.client.portal is not None
        return self.client.portal.call(work)

    def new_app(self, products: tuple[str, ...] = ("collections",), **options: Any) -> AppCreds:
        """An approved merchant with one app."""
        return self.operate(lambda c, d: new_app(c, d, products, **options))


@contextmanager
def sync_in_process(settings: Settings, clock: Callable[[], datetime]) -> Iterator[SyncInProcess]:
    """Start the app in a TestClient (lifespan included) and stop it afterwards."""
    app = _create_app(settings, clock)
    recorder = Recorder(app)
    with TestClient(recorder) as client:
        yield SyncInProcess(client, app, recorder)


class WebhookReceiver:
    """A merchant's webhook endpoint on loopback: keeps each POST's headers and raw body."""

    def __init__(self, status: int = 204) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        self._changed = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                with receiver._changed:
                    receiver.received.append((dict(self.headers.items()), body))
                    receiver._changed.notify_all()
                self.send_response(status)
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                """Quiet."""

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        """Where to point a callback_url."""
        return f"http://127.0.0.1:{self._server.server_address[1]}/webhook"

    def wait_for(self, count: int, timeout: float = 30.0) -> list[tuple[dict[str, str], bytes]]:
        """The first `count` deliveries, waiting for them to arrive."""
        with self._changed:
            if not self._changed.wait_for(lambda: len(self.received) >= count, timeout):
                raise TimeoutError(f"{len(self.received)} of {count} webhooks arrived")
            return list(self.received[:count])

    async def arrived(self, count: int, within: float = 30.0) -> list[tuple[dict[str, str], bytes]]:
        """`wait_for` without blocking the event loop (an in-process worker delivers on it)."""
        return await asyncio.to_thread(self.wait_for, count, within)

    def close(self) -> None:
        """Stop listening."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()


# ---- a real `jpay-server` process ------------------------------------------------------


def server_env(database_url: str, var_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of a server process (no JPAY_* leaks in from ours)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("JPAY_")}
    env.update(
        JPAY_DATABASE_URL=database_url,
        JPAY_SECRET_KEY=SECRET_KEY,
        JPAY_VAR_DIR=str(var_dir),
        JPAY_RATE_LIMIT_ENABLED="false",
        JPAY_LOG_FORMAT="json",
    )
    env.update(extra)
    return env


@dataclass
class ServerProcess(processes.Started):
    """A running `jpay-server serve` and its settings."""

    env: dict[str, str]

    @property
    def base_url(self) -> str:
        """The API root."""
        return f"{self.url}{API}"

    def operate(self, use: Use[T]) -> T:
        """Run a service use case against the server's database, as the CLI does."""

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

        return run_sync(work())

    def new_app(self, products: tuple[str, ...] = ("collections",), **options: Any) -> AppCreds:
        """An approved merchant with one app."""
        return self.operate(lambda c, d: new_app(c, d, products, **options))


def start_server(env: Mapping[str, str], log: Path, port: int | None = None) -> ServerProcess:
    """Start `python -m jpay_server serve` on 127.0.0.1 and wait until it is ready."""
    port = port or free_port()
    started = processes.start(processes.jpay_server_command(port), env=env, port=port, log=log)
    return ServerProcess(started.process, port, log, dict(env))


@contextmanager
def running_server(env: Mapping[str, str], log: Path) -> Iterator[ServerProcess]:
    """A server process for the duration of a `with` block."""
    server = start_server(env, log)
    try:
        yield server
    finally:
        server.stop()


def instrument(
    client: JPay | AsyncJPay,
    *,
    clock: Callable[[], float] | None = None,
    sleep: Callable[[float], Any] | None = None,
    jitter: Callable[[], float] | None = None,
    max_delay: float | None = None,
) -> None:
    """Give a client a test clock, sleep, jitter or backoff cap (as stripe's tests replace its
    jitter): the one place the tests know these private seams."""
    if clock is not None:
        client._auth.clock = clock
    if sleep is not None:
        client._sleep = sleep
    if jitter is not None:
        client._retry.jitter = jitter
    if max_delay is not None:
        client._retry.max_delay = max_delay


class TokenLog:
    """httpx response hooks keeping what went over the wire: the tokens issued to a client."""

    PATHS = ("/auth/app/token", "/auth/refresh")

    def __init__(self) -> None:
        self.pairs: list[tuple[str, str]] = []  # (access, refresh), in the order issued

    def hook(self, response: httpx.Response) -> None:
        """For an httpx.Client's `event_hooks={"response": [...]}`."""
        if response.request.url.path.endswith(self.PATHS) and response.status_code == 200:
            response.read()
            self._keep(response)

    async def ahook(self, response: httpx.Response) -> None:
        """For an httpx.AsyncClient's response hooks."""
        if response.request.url.path.endswith(self.PATHS) and response.status_code == 200:
            await response.aread()
            self._keep(response)

    def _keep(self, response: httpx.Response) -> None:
        data = response.json()
        self.pairs.append((data["access"], data["refresh"]))

    @property
    def access(self) -> str:
        """The access token issued last (the one the client holds)."""
        return self.pairs[-1][0]

    @property
    def refresh(self) -> str:
        """The refresh token issued last."""
        return self.pairs[-1][1]


def jpay_reprs(root: object, depth: int = 4) -> list[str]:
    """The reprs of every SDK object reachable from `root` through attributes and containers.

    What a debugger, a `vars()` dump or a log of any of them would show; no private name needed.
    """
    seen: set[int] = set()
    shown: list[str] = []

    def walk(obj: object, level: int) -> None:
        if id(obj) in seen or level > depth:
            return
        seen.add(id(obj))
        if isinstance(obj, dict):
            children = list(obj.values())
        elif isinstance(obj, list | tuple | set | frozenset):
            children = list(obj)
        elif type(obj).__module__.split(".")[0] == "jpay":
            shown.append(repr(obj))
            children = list(getattr(obj, "__dict__", {}).values())
        else:
            return
        for child in children:
            walk(child, level + 1)

    walk(root, 0)
    return shown
