"""The sandbox mobile-money network: advance due payments, settle wallets, raise events."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from jpay_server.domain import sandbox
from jpay_server.domain.payments import Payment, PaymentKind, PaymentStatus
from jpay_server.domain.wallets import EntryType, WalletKind
from jpay_server.services.context import Context
from jpay_server.services.webhooks import emit_payment_event
from jpay_server.store.payments import PaymentRepository
from jpay_server.store.wallets import credit


async def advance_due(ctx: Context, session: AsyncSession, limit: int = 50) -> int:
    """Take every due payment one step; returns how many moved.

    Each step, its wallet movement and its webhook event are written in the caller's one
    transaction: a worker killed half-way leaves the payments due, to be stepped again.
    """
    now = ctx.clock()
    repo = PaymentRepository(session)
    due = await repo.claim_due(now, limit)
    for payment in due:
        step = sandbox.step(payment, now, ctx.settings.sandbox_step_delay)
        moved = replace(
            payment,
            status=step.status,
            failure_reason=step.failure_reason,
            next_step_at=step.next_step_at,
            updated_at=now,
        )
        await repo.save_state(moved)
        if moved.status.final:
            await _settle(ctx, session, moved)
    return len(due)


async def _settle(ctx: Context, session: AsyncSession, payment: Payment) -> None:
    now = ctx.clock()
    if payment.kind is PaymentKind.COLLECTION and payment.status is PaymentStatus.COMPLETED:
        await _credit(
            session,
            payment.merchant_id,
            WalletKind.COLLECTION,
            payment.amount_cents,
            EntryType.COLLECTION,
            payment.id,
            f"Collection from {payment.party}",
            now,
        )
    elif payment.kind is PaymentKind.PAYOUT and payment.status is PaymentStatus.FAILED:
        await _credit(
            session,
            payment.merchant_id,
            WalletKind.PAYOUT,
            payment.amount_cents,
            EntryType.PAYOUT_REVERSAL,
            payment.id,
            f"Failed payout to {payment.party}",
            now,
        )
    await session.run_sync(lambda s: emit_payment_event(ctx, s.connection(), payment))


async def _credit(session: AsyncSession, *args: Any) -> None:
    await session.run_sync(lambda s: credit(s.connection(), *args))
