"""The ASGI factory uvicorn runs in each API process; it decides what runs beside the API.

`api`, `cli`, `web` and `worker` are shells that never import each other (the import-linter
contracts in pyproject.toml); the modules that put them together into processes live here,
above them: this one for `jpay-server serve`'s processes, `jpay_server.main` for the command
itself.
"""

from __future__ import annotations

import gc
import secrets
from collections.abc import Sequence

from starlette.applications import Starlette
from starlette.types import ASGIApp, Receive, Scope, Send

from jpay_server.access_log import AccessLog
from jpay_server.api.app import create_app
from jpay_server.clock import Clock, system_clock
from jpay_server.domain.randomness import TokenBytes
from jpay_server.logs import configure_logging
from jpay_server.services.runtime import Background
from jpay_server.settings import Settings, load_settings
from jpay_server.web.app import PREFIX, create_web
from jpay_server.worker import runner


class Server:
    """Sends /dashboard and /dashboard/... to the dashboard, everything else to the API.

    The API owns the lifespan (its runtime is the process's); the dashboard reads that
    runtime. The API's JSON-only request guard stays on the API: the dashboard takes forms.
    """

    def __init__(self, api: Starlette, web: Starlette) -> None:
        self.api = api
        self.web = web

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        is_web = path == PREFIX or path.startswith(PREFIX + "/")
        app: ASGIApp = self.web if scope["type"] == "http" and is_web else self.api
        await app(scope, receive, send)


def create_server(
    settings: Settings,
    clock: Clock = system_clock,
    rand: TokenBytes = secrets.token_bytes,
    background: Sequence[Background] = (),
) -> Server:
    """The API and the dashboard, sharing the runtime the API's lifespan starts."""
    api = create_app(settings, clock, rand, background)
    return Server(api, create_web(settings, lambda: api.state.runtime))


def create_app_from_env() -> AccessLog:
    """The server with settings from the environment, the worker in-process unless disabled.

    Its access log is ours (`jpay_server.access_log`), in place of uvicorn's.
    """
    settings = load_settings()
    configure_logging(settings.log_level, settings.log_format)
    background: tuple[Background, ...] = (runner.run,) if settings.worker_in_process else ()
    server = AccessLog(create_server(settings, background=background))
    # What exists now (modules, classes, schemas, routes, templates) lives as long as the
    # process. Frozen, the collector's full passes skip it: each one stalled a worker for about
    # 80 ms, then 5 ms, which is the p99 of every request in flight (bench/README.md). Garbage
    # first: with one worker this process also ran the start-up checks.
    gc.collect()
    gc.freeze()
    return server
