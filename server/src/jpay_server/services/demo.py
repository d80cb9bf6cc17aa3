"""The demo merchant and app that `make serve` seeds on a fresh machine."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from jpay_server.domain.apps import PRODUCTS
from jpay_server.errors import NotFound
from jpay_server.services.apps import AppCredentials, create_app, get_app
from jpay_server.services.context import Context
from jpay_server.services.merchants import create_merchant

DEMO_MERCHANT = "Demo Merchant"
DEMO_APP = "Demo app"


async def seed_demo(ctx: Context, session: AsyncSession) -> AppCredentials:
    """Create an approved merchant and an app with every product."""
    merchant = await create_merchant(ctx, session, DEMO_MERCHANT, approved=True)
    return await create_app(ctx, session, merchant.id, name=DEMO_APP, products=PRODUCTS)


async def demo_exists(session: AsyncSession, app_code: int, app_key: str) -> bool:
    """True if the recorded demo app is still in this database."""
    try:
        app = await get_app(session, app_code)
    except NotFound:
        return False
    return app.app_key == app_key
