"""The demo merchant and app that `make serve` seeds on a fresh machine."""

from __future__ import annotations

import asyncio

from sqlalchemy import Connection

from jpay_server.domain.apps import PRODUCTS
from jpay_server.domain.members import Role
from jpay_server.domain.passwords import check_new_password, hash_password
from jpay_server.domain.users import UserStatus
from jpay_server.errors import NotFound
from jpay_server.services.apps import AppCredentials, create_app, get_app
from jpay_server.services.context import Context
from jpay_server.services.merchants import create_merchant
from jpay_server.store import users
from jpay_server.store.db import Database

DEMO_MERCHANT = "Demo Merchant"
DEMO_APP = "Demo app"
DEMO_OWNER = "owner@demo.jpay.example"


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


async def ensure_demo_owner(
    ctx: Context, database: Database, merchant_id: int, password: str
) -> None:
    """Make the demo merchant's owner user log in with `password` (created if missing)."""
    check_new_password(password, DEMO_OWNER)
    hashed = await asyncio.to_thread(hash_password, password)
    now = ctx.clock()

    def command(conn: Connection) -> None:
        found = users.user_by_email(conn, DEMO_OWNER)
        if found is None:
            users.add_user(
                conn, merchant_id, DEMO_OWNER, hashed, Role.OWNER, UserStatus.ACTIVE, now
            )
        elif found.merchant_id == merchant_id:
            users.update_user(conn, found.id, now, password_hash=hashed)
        else:  # left over from an earlier demo merchant in this database
            users.delete_user(conn, found.id)
            users.add_user(
                conn, merchant_id, DEMO_OWNER, hashed, Role.OWNER, UserStatus.ACTIVE, now
            )

    await database.write(command)
