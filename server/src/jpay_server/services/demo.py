"""The demo merchant and app that `make serve` seeds on a fresh machine."""

from __future__ import annotations

from jpay_server.domain.apps import PRODUCTS
from jpay_server.errors import NotFound
from jpay_server.services.apps import AppCredentials, create_app, get_app
from jpay_server.services.context import Context
from jpay_server.services.merchants import create_merchant
from jpay_server.store.db import Database

DEMO_MERCHANT = "Demo Merchant"
DEMO_APP = "Demo app"


async def seed_demo(ctx: Context, database: Database) -> AppCredentials:
    """Create an approved merchant and an app with every product (two commits: a failed
    second step leaves a merchant without apps, and `demo seed` simply runs again)."""
    merchant = await create_merchant(ctx, database, DEMO_MERCHANT, approved=True)
    return await create_app(ctx, database, merchant.id, name=DEMO_APP, products=PRODUCTS)


async def demo_exists(database: Database, app_code: int, app_key: str) -> bool:
    """True if the recorded demo app is still in this database."""
    try:
        app = await get_app(database, app_code)
    except NotFound:
        return False
    return app.app_key == app_key
