"""The sandbox mobile-money network: advance due payments, settle wallets, raise events."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import Connection

from jpay_server.domain import sandbox
from jpay_server.domain.payments import Payment, PaymentKind, PaymentStatus
from jpay_server.domain.wallets import EntryType, WalletKind
from jpay_server.services.context import Context
from jpay_server.services.webhooks import emit_payment_event
from jpay_server.store.db import Database
from jpay_server.store.payments import claim_due, save_state
from jpay_server.store.wallets import credit


async def advance_due(ctx: Context, database: Database, limit: int = 50) -> int:
    """Take every due payment one step; returns how many moved.

    Each step, its wallet movement and its webhook event are written in one write command:
    a worker killed half-way leaves the payments due, to be stepped again.
    """
    return await database.write(lambda conn: _advance(ctx, conn, limit))


def _advance(ctx: Context, conn: Connection, limit: int) -> int:
    now = ctx.clock()
    due = claim_due(conn, now, limit)
    for payment in due:
        step = sandbox.step(payment, now, ctx.settings.sandbox_step_delay)
        moved = replace(
            payment,
            status=step.status,
            failure_reason=step.failure_reason,
            next_step_at=step.next_step_at,
            updated_at=now,
        )
        save_state(conn, moved)
        if moved.status.final:
            _settle(ctx, conn, moved)
    return len(due)


def _settle(ctx: Context, conn: Connection, payment: Payment) -> None:
    now = ctx.clock()
    if payment.kind is PaymentKind.COLLECTION and payment.status is PaymentStatus.COMPLETED:
        credit(
            conn,
            payment.merchant_id,
            WalletKind.COLLECTION,
            payment.amount_cents,
            EntryType.COLLECTION,
            payment.id,
            f"Collection from {payment.party}",
            now,
        )
    elif payment.kind is PaymentKind.PAYOUT and payment.status is PaymentStatus.FAILED:
        credit(
            conn,
            payment.merchant_id,
            WalletKind.PAYOUT,
            payment.amount_cents,
            EntryType.PAYOUT_REVERSAL,
            payment.id,
            f"Failed payout to {payment.party}",
            now,
        )
    emit_payment_event(ctx, conn, payment)
