"""Collection and payout use cases: initiate, look up, list."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Connection

from jpay_server.domain import payments as rules
from jpay_server.domain.access import Principal
from jpay_server.domain.channels import Channel, ChannelType, invalid_channel, usable
from jpay_server.domain.money import parse_amount
from jpay_server.domain.payments import (
    Payment,
    PaymentFilter,
    PaymentKind,
    PaymentStatus,
    to_wire,
)
from jpay_server.domain.phones import (
    Phone,
    inferred_channel,
    invalid_phone,
    parse_phone,
    without_plus,
)
from jpay_server.domain.wallets import EntryType, WalletKind, insufficient
from jpay_server.domain.webhooks import check_callback_url
from jpay_server.errors import InvalidRequest, NotFound
from jpay_server.services.context import Context
from jpay_server.services.idempotency import Answer, Keyed, once
from jpay_server.store.channels import channel_by_code
from jpay_server.store.db import Database
from jpay_server.store.payments import (
    DuplicateRefNo,
    add_payment,
    payment_by_id,
    ref_no_taken,
    wire_payment_page,
)
from jpay_server.store.wallets import debit


@dataclass(frozen=True, slots=True)
class CollectionRequest:
    """The fields of POST /payments/collections/checkouts/initiate."""

    payfrom: str
    amount: object
    ref_no: str
    callback_url: str
    app_code: int
    account_number: str | None = None
    category: str | None = None
    narration: str | None = None
    channel: int | None = None


@dataclass(frozen=True, slots=True)
class PayoutRequest:
    """The fields of POST /payments/payouts/initiate."""

    payto: str
    amount: object
    ref_no: str
    callback_url: str
    app_code: int
    category: str | None = None
    narration: str | None = None
    channel: int | None = None


def _check_app(principal: Principal, app_code: int) -> None:
    # The docs: app_code is "for multi-app scenarios"; a token acts for its own app only.
    if app_code != principal.app_code:
        raise NotFound("App not found", code="app_not_found")


def _mobile_channel(conn: Connection, requested: int | None, phone: Phone) -> Channel:
    code = requested if requested is not None else inferred_channel(phone)
    if code is None:
        raise InvalidRequest(
            "Cannot infer a channel for this phone number; pass channel",
            code="channel_required",
            field="channel",
        )
    return usable(channel_by_code(conn, code))


def _new_payment(
    ctx: Context, principal: Principal, kind: PaymentKind, party: str, cents: int, **fields: object
) -> Payment:
    now = ctx.clock()
    return Payment(
        id=rules.new_payment_id(kind, ctx.rand, now),
        kind=kind,
        app_code=principal.app_code,
        merchant_id=principal.merchant_id,
        party=party,
        amount_cents=cents,
        status=PaymentStatus.PENDING,
        failure_reason=None,
        created_at=now,
        updated_at=now,
        next_step_at=now + timedelta(seconds=ctx.settings.sandbox_step_delay),
        **fields,  # type: ignore[arg-type]
    )


def _insert(conn: Connection, payment: Payment) -> Payment:
    try:
        add_payment(conn, payment)
    except DuplicateRefNo:
        raise rules.duplicate_ref_no(payment.kind) from None
    return payment


async def initiate_collection(
    ctx: Context, database: Database, principal: Principal, req: CollectionRequest, keyed: Keyed
) -> Answer:
    """Ask the customer's mobile-money network for a payment (an STK push), once per key."""
    return await once(
        ctx,
        database,
        principal.app_code,
        keyed,
        lambda conn: to_wire(_collection(ctx, conn, principal, req)),
    )


def _collection(
    ctx: Context, conn: Connection, principal: Principal, req: CollectionRequest
) -> Payment:
    phone = parse_phone(req.payfrom, "payfrom")
    cents = parse_amount(req.amount)
    ref_no = rules.check_ref_no(req.ref_no)
    url = check_callback_url(req.callback_url, ctx.settings.allow_private_callbacks)
    account = rules.check_account_number(req.account_number)
    category = rules.check_category(req.category)
    narration = rules.check_narration(req.narration, "Request Payment")
    _check_app(principal, req.app_code)
    channel = _mobile_channel(conn, req.channel, phone)
    if channel.type is not ChannelType.MOBILE_MONEY:
        raise invalid_channel("Collections support mobile money channels only")
    payment = _new_payment(
        ctx,
        principal,
        PaymentKind.COLLECTION,
        phone.e164,
        cents,
        ref_no=ref_no,
        account_number=account,
        callback_url=url,
        category=category,
        narration=narration,
        channel=channel,
    )
    return _insert(conn, payment)


def _payout_channel(conn: Connection, payto: str, requested: int | None) -> tuple[str, Channel]:
    if payto.startswith("+"):
        phone = parse_phone(payto, "payto")
        channel = _mobile_channel(conn, requested, phone)
        if channel.type is not ChannelType.MOBILE_MONEY:
            raise invalid_channel("A phone number needs a mobile money channel")
        return phone.e164, channel
    account = rules.check_bank_account(payto)
    if requested is None:
        if without_plus(payto):
            raise invalid_phone("payto")
        raise InvalidRequest(
            "channel field is required for bank transfers", code="field_required", field="channel"
        )
    channel = usable(channel_by_code(conn, requested))
    if channel.type is not ChannelType.BANK:
        if without_plus(payto):
            raise invalid_phone("payto")
        raise invalid_channel("A bank account number needs a bank channel")
    return account, channel


async def initiate_payout(
    ctx: Context, database: Database, principal: Principal, req: PayoutRequest, keyed: Keyed
) -> Answer:
    """Send money from the payout wallet, debiting it now (credited back if the payout fails)."""
    return await once(
        ctx,
        database,
        principal.app_code,
        keyed,
        lambda conn: to_wire(_payout(ctx, conn, principal, req)),
    )


def _payout(ctx: Context, conn: Connection, principal: Principal, req: PayoutRequest) -> Payment:
    cents = parse_amount(req.amount)
    ref_no = rules.check_ref_no(req.ref_no)
    url = check_callback_url(req.callback_url, ctx.settings.allow_private_callbacks)
    category = rules.check_category(req.category)
    narration = rules.check_narration(req.narration, "Disbursement")
    party, channel = _payout_channel(conn, req.payto, req.channel)
    _check_app(principal, req.app_code)
    payment = _new_payment(
        ctx,
        principal,
        PaymentKind.PAYOUT,
        party,
        cents,
        ref_no=ref_no,
        account_number=None,
        callback_url=url,
        category=category,
        narration=narration,
        channel=channel,
    )
    if ref_no_taken(conn, principal.app_code, PaymentKind.PAYOUT, ref_no):
        raise rules.duplicate_ref_no(PaymentKind.PAYOUT)
    debited = debit(
        conn,
        principal.merchant_id,
        WalletKind.PAYOUT,
        cents,
        EntryType.PAYOUT,
        payment.id,
        f"Payout to {party}",
        payment.created_at,
    )
    if debited is None:
        raise insufficient(WalletKind.PAYOUT)
    return _insert(conn, payment)


def get_payment(
    conn: Connection, principal: Principal, kind: PaymentKind, payment_id: str
) -> Payment:
    """One of the calling app's payments; another app's is as good as missing."""
    payment = payment_by_id(conn, principal.app_code, kind, payment_id)
    if payment is None:
        noun = "Collection" if kind is PaymentKind.COLLECTION else "Payout"
        raise NotFound(f"{noun} not found")
    return payment


def list_payments(
    conn: Connection,
    principal: Principal,
    kind: PaymentKind,
    where: PaymentFilter,
    page: int,
    page_size: int,
) -> tuple[int, list[str]]:
    """A page of the calling app's payments as wire JSON, newest first, and the total."""
    offset = (page - 1) * page_size
    return wire_payment_page(conn, principal.app_code, kind, where, offset, page_size)
