"""Merchant use cases: create, approve, suspend, reinstate, list."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncSession

from jpay_server.domain import merchants as rules
from jpay_server.domain.merchants import Merchant, MerchantStatus
from jpay_server.errors import NotFound
from jpay_server.services.context import Context
from jpay_server.store.changes import ChangeRepository
from jpay_server.store.merchants import MerchantRepository
from jpay_server.store.wallets import WalletRepository


async def create_merchant(
    ctx: Context, session: AsyncSession, name: str, approved: bool
) -> Merchant:
    """Create a merchant, pending unless `approved`."""
    status = MerchantStatus.APPROVED if approved else MerchantStatus.PENDING
    merchant = await MerchantRepository(session).add(rules.clean_name(name), status, ctx.clock())
    await WalletRepository(session).open(merchant.id, ctx.clock())
    return merchant


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
    ctx: Context, session: AsyncSession, merchant_id: int, change: Callable[[Merchant], Merchant]
) -> Merchant:
    # Locked: two operators changing one merchant at once must not undo each other.
    merchant = await get_merchant(session, merchant_id, for_update=True)
    changed = change(merchant)
    if changed != merchant:
        now = ctx.clock()
        await MerchantRepository(session).save(changed, now)
        await ChangeRepository(session).record("merchant", str(merchant_id), now)
    return changed


async def approve_merchant(ctx: Context, session: AsyncSession, merchant_id: int) -> Merchant:
    """Approve a pending merchant."""
    return await _transition(ctx, session, merchant_id, lambda m: rules.approve(m, ctx.clock()))


async def suspend_merchant(ctx: Context, session: AsyncSession, merchant_id: int) -> Merchant:
    """Suspend a merchant; its tokens answer 403 within a second, everywhere."""
    return await _transition(ctx, session, merchant_id, rules.suspend)


async def reinstate_merchant(ctx: Context, session: AsyncSession, merchant_id: int) -> Merchant:
    """Lift a suspension; the same tokens work again."""
    return await _transition(ctx, session, merchant_id, rules.reinstate)
