"""The whole server process: the API, and the dashboard at /dashboard/, on one runtime."""

from __future__ import annotations

import secrets

from fastapi import FastAPI
from starlette.applications import Starlette
from starlette.types import ASGIApp, Receive, Scope, Send

from jpay_server.api.app import create_app
from jpay_server.clock import Clock, system_clock
from jpay_server.logs import configure_logging
from jpay_server.services.context import TokenBytes
from jpay_server.settings import Settings, load_settings
from jpay_server.web.app import PREFIX, create_web


class Server:
    """Sends /dashboard and /dashboard/... to the dashboard, everything else to the API.

    The API owns the lifespan (its runtime is the process's); the dashboard reads that
    runtime. The API's JSON-only request guard stays on the API: the dashboard takes forms.
    """

    def __init__(self, api: FastAPI, web: Starlette) -> None:
        self.api = api
        self.web = web

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        is_web = path == PREFIX or path.startswith(PREFIX + "/")
        app: ASGIApp = self.web if scope["type"] == "http" and is_web else self.api
        await app(scope, receive, send)


def create_server(
    settings: Settings, clock: Clock = system_clock, rand: TokenBytes = secrets.token_bytes
) -> Server:
    """The API and the dashboard, sharing the runtime the API's lifespan starts."""
    api = create_app(settings, clock, rand)
    return Server(api, create_web(settings, lambda: api.state.runtime))


def create_server_from_env() -> Server:
    """The uvicorn factory for worker processes: settings from the environment."""
    settings = load_settings()
    configure_logging(settings.log_level, settings.log_format)
    return create_server(settings)
