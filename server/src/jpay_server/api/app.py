"""The API application: create_app(settings) for code and tests, a factory for uvicorn."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from starlette.applications import Starlette

from jpay_server import __version__
from jpay_server.api import errors, middleware, openapi
from jpay_server.api.routes import (
    account,
    accounts,
    auth,
    channels,
    collections,
    health,
    merchant,
    merchant_apps,
    merchant_payments,
    merchant_webhooks,
    payouts,
    team,
    wallets,
)
from jpay_server.clock import Clock, system_clock
from jpay_server.domain.randomness import TokenBytes
from jpay_server.services.runtime import Background, start_runtime, stop_runtime
from jpay_server.settings import Settings

API_PREFIX = "/api/v1"
DESCRIPTION = """A self-hostable implementation of the JPay Africa API.

Get tokens at `POST /api/v1/auth/app/token`, send `Authorization: Bearer <access>` on every
call, refresh at `POST /api/v1/auth/refresh`. Every error body is
`{"detail": "<message>", "code": "<stable code>"}`.
"""


TAGS = [
    {"name": "auth", "description": "App tokens, refresh and revocation."},
    {
        "name": "merchant users",
        "description": "Email and password login for merchant users, and their tokens.",
    },
    {
        "name": "merchant",
        "description": "The merchant API: a merchant's users manage their apps, "
        "credentials, allowlists, webhooks and read their payments (user tokens only).",
    },
    {"name": "team", "description": "A merchant's users: invite, roles, remove, MFA."},
    {"name": "collections", "description": "Incoming payments (product `collections`)."},
    {"name": "payouts", "description": "Outgoing payments (product `payouts`)."},
    {"name": "wallets", "description": "Balances, the ledger, transfers."},
    {"name": "channels", "description": "Mobile-money networks and banks."},
    {"name": "health", "description": "Probes for orchestrators."},
]
RESOURCES = (
    auth,
    accounts,
    account,
    team,
    collections,
    payouts,
    wallets,
    channels,
    merchant,
    merchant_apps,
    merchant_webhooks,
    merchant_payments,
)


def create_app(
    settings: Settings,
    clock: Clock = system_clock,
    rand: TokenBytes = secrets.token_bytes,
    background: Sequence[Background] = (),
) -> Starlette:
    """Build the app; its runtime (database, caches, `background` loops) starts at lifespan."""

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        app.state.runtime = await start_runtime(settings, clock, rand, background)
        try:
            yield
        finally:
            await stop_runtime(app.state.runtime)

    routes = [route for module in RESOURCES for route in module.routes.routes(API_PREFIX)]
    operations = [op for module in RESOURCES for op in module.routes.operations(API_PREFIX)]
    routes += health.routes.routes()
    operations += health.routes.operations()
    app = Starlette(
        routes=[
            *routes,
            *openapi.pages(
                lambda: openapi.document(openapi.TITLE, __version__, DESCRIPTION, TAGS, operations)
            ),
        ],
        lifespan=lifespan,
    )
    middleware.install(app, settings.max_body_bytes)
    errors.install(app)
    return app
