"""Merchant use cases: create, approve, suspend, reinstate, list, grant products."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace

from sqlalchemy.ext.asyncio import AsyncSession

from jpay_server.domain import grants
from jpay_server.domain import merchants as rules
from jpay_server.domain.apps import parse_products
from jpay_server.domain.audit import BY_OPERATOR, Origin
from jpay_server.domain.merchants import Merchant, MerchantStatus
from jpay_server.errors import NotFound
from jpay_server.services.audit import record_by
from jpay_server.services.context import Context
from jpay_server.store.apps import AppRepository
from jpay_server.store.changes import ChangeKind, ChangeRepository
from jpay_server.store.grants import grants_of, set_grants
from jpay_server.store.merchants import MerchantRepository
from jpay_server.store.wallets import WalletRepository


async def create_merchant(
    ctx: Context, session: AsyncSession, name: str, approved: bool, by: Origin = BY_OPERATOR
) -> Merchant:
    """Create a merchant, pending unless `approved`."""
    status = MerchantStatus.APPROVED if approved else MerchantStatus.PENDING
    now = ctx.clock()
    merchant = await MerchantRepository(session).add(rules.clean_name(name), status, now)
    await WalletRepository(session).open(merchant.id, now)
    details = {"name": merchant.name, "status": merchant.status}
    await record_by(session, now, by, merchant.id, "merchant.create", _target(merchant.id), details)
    return merchant


def _target(merchant_id: int) -> str:
    return f"merchant:{merchant_id}"


async def get_merchant(
    session: AsyncSession, merchant_id: int, *, for_update: bool = False
) -> Merchant:
    """The merchant, or NotFound; `for_update` serialises concurrent changes to it."""
    merchant = await MerchantRepository(session).get(merchant_id, for_update=for_update)
    if merchant is None:
        raise NotFound(f"merchant {merchant_id} not found", code="merchant_not_found")
    return merchant


async def list_merchants(session: AsyncSession) -> list[Merchant]:
    """Every merchant."""
    return await MerchantRepository(session).all()


async def _transition(
    ctx: Context,
    session: AsyncSession,
    merchant_id: int,
    change: Callable[[Merchant], Merchant],
    action: str,
) -> Merchant:
    # Locked: two operators changing one merchant at once must not undo each other.
    merchant = await get_merchant(session, merchant_id, for_update=True)
    changed = change(merchant)
    if changed != merchant:
        now = ctx.clock()
        await MerchantRepository(session).save(changed, now)
        await ChangeRepository(session).record(ChangeKind.MERCHANT, str(merchant_id), now)
        details = {"status": changed.status, "previous": {"status": merchant.status}}
        await record_by(
            session, now, BY_OPERATOR, merchant_id, action, _target(merchant_id), details
        )
    return changed


async def approve_merchant(ctx: Context, session: AsyncSession, merchant_id: int) -> Merchant:
    """Approve a pending merchant."""
    return await _transition(
        ctx, session, merchant_id, lambda m: rules.approve(m, ctx.clock()), "merchant.approve"
    )


async def suspend_merchant(ctx: Context, session: AsyncSession, merchant_id: int) -> Merchant:
    """Suspend a merchant; its tokens answer 403 within a second, everywhere."""
    return await _transition(ctx, session, merchant_id, rules.suspend, "merchant.suspend")


async def reinstate_merchant(ctx: Context, session: AsyncSession, merchant_id: int) -> Merchant:
    """Lift a suspension; the same tokens work again."""
    return await _transition(ctx, session, merchant_id, rules.reinstate, "merchant.reinstate")


async def granted_products(ctx: Context, session: AsyncSession, merchant_id: int) -> frozenset[str]:
    """The products a merchant may enable now (its grants, or all outside production)."""
    merchant = await get_merchant(session, merchant_id)
    stored = await session.run_sync(lambda s: grants_of(s.connection(), merchant_id))
    return grants.effective(stored, merchant.status, ctx.settings.env)


async def set_products(
    ctx: Context, session: AsyncSession, merchant_id: int, products: Iterable[str]
) -> tuple[frozenset[str], frozenset[str]]:
    """Grant exactly these products; apps lose at once any product no longer granted.

    Returns the stored grant and what the merchant may enable now. Outside production an
    approved merchant may still enable every product: the grant binds in production.
    """
    parsed = parse_products(products)
    merchant = await get_merchant(session, merchant_id, for_update=True)
    now = ctx.clock()
    before = await session.run_sync(lambda s: grants_of(s.connection(), merchant_id))
    await session.run_sync(lambda s: set_grants(s.connection(), merchant_id, parsed, now))
    allowed = grants.effective(parsed, merchant.status, ctx.settings.env)
    apps = AppRepository(session)
    changes = ChangeRepository(session)
    for app in await apps.all(merchant_id):
        kept = tuple(p for p in app.products if p in allowed)
        if kept != app.products:
            await apps.save(replace(app, products=kept), now)
            await changes.record(ChangeKind.APP, str(app.app_code), now)
    details = {"products": parsed, "previous": {"products": sorted(before)}}
    await record_by(
        session,
        now,
        BY_OPERATOR,
        merchant_id,
        "merchant.set_products",
        _target(merchant_id),
        details,
    )
    return frozenset(parsed), allowed
