"""Merchant use cases: create, approve, suspend, reinstate, list, grant products."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace

from sqlalchemy import Connection

from jpay_server.domain import grants
from jpay_server.domain import merchants as rules
from jpay_server.domain.apps import parse_products
from jpay_server.domain.audit import BY_OPERATOR, Origin
from jpay_server.domain.merchants import Merchant, MerchantStatus
from jpay_server.errors import NotFound
from jpay_server.services.audit import record_by
from jpay_server.services.context import Context
from jpay_server.store.apps import apps_of, save_app
from jpay_server.store.changes import ChangeKind, record_change
from jpay_server.store.db import Database
from jpay_server.store.grants import grants_of, set_grants
from jpay_server.store.merchants import add_merchant, all_merchants, merchant_by_id, save_merchant
from jpay_server.store.wallets import open_wallets


async def create_merchant(
    ctx: Context, database: Database, name: str, approved: bool, by: Origin = BY_OPERATOR
) -> Merchant:
    """Create a merchant, pending unless `approved`, with its two empty wallets."""
    cleaned = rules.clean_name(name)
    return await database.write(lambda conn: new_merchant(ctx, conn, cleaned, approved, by))


def new_merchant(
    ctx: Context, conn: Connection, name: str, approved: bool, by: Origin = BY_OPERATOR
) -> Merchant:
    """The steps of `create_merchant`, inside a larger write command (signup)."""
    status = MerchantStatus.APPROVED if approved else MerchantStatus.PENDING
    now = ctx.clock()
    merchant = add_merchant(conn, rules.clean_name(name), status, now)
    open_wallets(conn, merchant.id, now)
    details = {"name": merchant.name, "status": merchant.status}
    record_by(conn, now, by, merchant.id, "merchant.create", _target(merchant.id), details)
    return merchant


def _target(merchant_id: int) -> str:
    return f"merchant:{merchant_id}"


def merchant_of(conn: Connection, merchant_id: int, *, for_update: bool = False) -> Merchant:
    """The merchant, or NotFound; `for_update` serialises concurrent changes to it."""
    merchant = merchant_by_id(conn, merchant_id, for_update=for_update)
    if merchant is None:
        raise NotFound(f"merchant {merchant_id} not found", code="merchant_not_found")
    return merchant


async def get_merchant(database: Database, merchant_id: int) -> Merchant:
    """The merchant, or NotFound."""
    return await database.read(lambda conn: merchant_of(conn, merchant_id))


async def list_merchants(database: Database) -> list[Merchant]:
    """Every merchant."""
    return await database.read(all_merchants)


async def _transition(
    ctx: Context,
    database: Database,
    merchant_id: int,
    change: Callable[[Merchant], Merchant],
    action: str,
) -> Merchant:
    def command(conn: Connection) -> Merchant:
        # Locked: two operators changing one merchant at once must not undo each other.
        merchant = merchant_of(conn, merchant_id, for_update=True)
        changed = change(merchant)
        if changed != merchant:
            now = ctx.clock()
            save_merchant(conn, changed, now)
            record_change(conn, ChangeKind.MERCHANT, str(merchant_id), now)
            details = {"status": changed.status, "previous": {"status": merchant.status}}
            record_by(conn, now, BY_OPERATOR, merchant_id, action, _target(merchant_id), details)
        return changed

    return await database.write(command)


async def approve_merchant(ctx: Context, database: Database, merchant_id: int) -> Merchant:
    """Approve a pending merchant."""
    return await _transition(
        ctx, database, merchant_id, lambda m: rules.approve(m, ctx.clock()), "merchant.approve"
    )


async def suspend_merchant(ctx: Context, database: Database, merchant_id: int) -> Merchant:
    """Suspend a merchant; its tokens answer 403 within a second, everywhere."""
    return await _transition(ctx, database, merchant_id, rules.suspend, "merchant.suspend")


async def reinstate_merchant(ctx: Context, database: Database, merchant_id: int) -> Merchant:
    """Lift a suspension; the same tokens work again."""
    return await _transition(ctx, database, merchant_id, rules.reinstate, "merchant.reinstate")


def effective_grants(ctx: Context, conn: Connection, merchant_id: int) -> frozenset[str]:
    """The products a merchant may enable now (its grants, or all outside production)."""
    merchant = merchant_of(conn, merchant_id)
    return grants.effective(grants_of(conn, merchant_id), merchant.status, ctx.settings.env)


async def granted_products(ctx: Context, database: Database, merchant_id: int) -> frozenset[str]:
    """The products a merchant may enable now (its grants, or all outside production)."""
    return await database.read(lambda conn: effective_grants(ctx, conn, merchant_id))


async def set_products(
    ctx: Context, database: Database, merchant_id: int, products: Iterable[str]
) -> tuple[frozenset[str], frozenset[str]]:
    """Grant exactly these products; apps lose at once any product no longer granted.

    Returns the stored grant and what the merchant may enable now. Outside production an
    approved merchant may still enable every product: the grant binds in production.
    """
    parsed = parse_products(products)

    def command(conn: Connection) -> frozenset[str]:
        merchant = merchant_of(conn, merchant_id, for_update=True)
        now = ctx.clock()
        before = grants_of(conn, merchant_id)
        set_grants(conn, merchant_id, parsed, now)
        allowed = grants.effective(parsed, merchant.status, ctx.settings.env)
        for app in apps_of(conn, merchant_id):
            kept = tuple(p for p in app.products if p in allowed)
            if kept != app.products:
                save_app(conn, replace(app, products=kept), now)
                record_change(conn, ChangeKind.APP, str(app.app_code), now)
        details = {"products": parsed, "previous": {"products": sorted(before)}}
        target = _target(merchant_id)
        record_by(conn, now, BY_OPERATOR, merchant_id, "merchant.set_products", target, details)
        return allowed

    allowed = await database.write(command)
    return frozenset(parsed), allowed
