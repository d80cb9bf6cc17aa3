"""Payment repository: collections and payouts, their listing, and the worker's due queue."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from jpay_server.domain.channels import Channel, ChannelType
from jpay_server.domain.payments import Payment, PaymentKind, PaymentStatus
from jpay_server.store.tables import ChannelRow, PaymentRow


@dataclass(frozen=True, slots=True)
class PaymentFilter:
    """What a list may be narrowed to."""

    status: PaymentStatus | None = None
    created_from: datetime | None = None
    created_before: datetime | None = None
    party: str | None = None
    ref_no: str | None = None


def _payment(row: PaymentRow, channel: ChannelRow) -> Payment:
    return Payment(
        id=row.id,
        kind=PaymentKind(row.kind),
        app_code=row.app_code,
        merchant_id=row.merchant_id,
        party=row.party,
        amount_cents=row.amount_cents,
        ref_no=row.ref_no,
        account_number=row.account_number,
        callback_url=row.callback_url,
        category=row.category,
        narration=row.narration,
        channel=Channel(
            channel.code,
            channel.name,
            ChannelType(channel.type),
            channel.display_name,
            channel.is_active,
        ),
        status=PaymentStatus(row.status),
        failure_reason=row.failure_reason,
        created_at=row.created_at,
        updated_at=row.updated_at,
        next_step_at=row.next_step_at,
    )


class DuplicateRefNo(Exception):
    """The app already has a payment of this kind with this ref_no."""


class PaymentRepository:
    """Reads and writes payments inside the caller's transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, payment: Payment) -> None:
        """Insert a payment; DuplicateRefNo if its ref_no is taken."""
        row = PaymentRow(
            id=payment.id,
            kind=payment.kind.value,
            app_code=payment.app_code,
            merchant_id=payment.merchant_id,
            party=payment.party,
            amount_cents=payment.amount_cents,
            ref_no=payment.ref_no,
            account_number=payment.account_number,
            callback_url=payment.callback_url,
            category=payment.category,
            narration=payment.narration,
            channel=payment.channel.code,
            status=payment.status.value,
            failure_reason=payment.failure_reason,
            created_at=payment.created_at,
            updated_at=payment.updated_at,
            next_step_at=payment.next_step_at,
        )
        try:
            async with self.session.begin_nested():
                self.session.add(row)
        except IntegrityError as exc:
            raise DuplicateRefNo(payment.ref_no) from exc

    async def ref_no_taken(self, app_code: int, kind: PaymentKind, ref_no: str) -> bool:
        """True if the app already used this ref_no for this kind."""
        query = select(PaymentRow.id).where(
            PaymentRow.app_code == app_code,
            PaymentRow.kind == kind.value,
            PaymentRow.ref_no == ref_no,
        )
        return await self.session.scalar(query) is not None

    async def get(self, app_code: int, kind: PaymentKind, payment_id: str) -> Payment | None:
        """One of an app's payments, or None (another app's payment is None too)."""
        query = (
            select(PaymentRow, ChannelRow)
            .join(ChannelRow, ChannelRow.code == PaymentRow.channel)
            .where(
                PaymentRow.id == payment_id,
                PaymentRow.app_code == app_code,
                PaymentRow.kind == kind.value,
            )
        )
        found = (await self.session.execute(query)).first()
        return _payment(*found) if found else None

    async def page(
        self, app_code: int, kind: PaymentKind, where: PaymentFilter, offset: int, limit: int
    ) -> tuple[int, list[Payment]]:
        """A page of an app's payments, newest first, and how many match in all."""
        conditions = [PaymentRow.app_code == app_code, PaymentRow.kind == kind.value]
        if where.status is not None:
            conditions.append(PaymentRow.status == where.status.value)
        if where.created_from is not None:
            conditions.append(PaymentRow.created_at >= where.created_from)
        if where.created_before is not None:
            conditions.append(PaymentRow.created_at < where.created_before)
        if where.party is not None:
            conditions.append(PaymentRow.party == where.party)
        if where.ref_no is not None:
            conditions.append(PaymentRow.ref_no == where.ref_no)
        total = await self.session.scalar(select(func.count(PaymentRow.id)).where(*conditions))
        query = (
            select(PaymentRow, ChannelRow)
            .join(ChannelRow, ChannelRow.code == PaymentRow.channel)
            .where(*conditions)
            .order_by(PaymentRow.created_at.desc(), PaymentRow.id.desc())
            .offset(offset)
            .limit(limit)
        )
        rows = (await self.session.execute(query)).all()
        return int(total or 0), [_payment(payment, channel) for payment, channel in rows]

    async def claim_due(self, now: datetime, limit: int) -> list[Payment]:
        """Payments whose next network step is due, locked for this transaction.

        On PostgreSQL `FOR UPDATE SKIP LOCKED` lets several workers share the queue without
        waiting on each other; SQLite has one writer, so the transaction itself is the lock.
        """
        due = (
            select(PaymentRow.id)
            .where(PaymentRow.next_step_at.is_not(None), PaymentRow.next_step_at <= now)
            .order_by(PaymentRow.next_step_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        ids = list(await self.session.scalars(due))
        if not ids:
            return []
        query = (
            select(PaymentRow, ChannelRow)
            .join(ChannelRow, ChannelRow.code == PaymentRow.channel)
            .where(PaymentRow.id.in_(ids))
            .order_by(PaymentRow.next_step_at)
        )
        return [_payment(p, c) for p, c in (await self.session.execute(query)).all()]

    async def save_state(self, payment: Payment) -> None:
        """Write back a payment's status, failure reason and next step."""
        row = await self.session.get_one(PaymentRow, payment.id)
        row.status = payment.status.value
        row.failure_reason = payment.failure_reason
        row.next_step_at = payment.next_step_at
        row.updated_at = payment.updated_at
        await self.session.flush()  # autoflush is off: later reads must see this
