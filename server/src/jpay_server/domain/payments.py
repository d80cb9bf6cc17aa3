"""Collections and payouts: what a payment is, its states, and the rules for its fields."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from jpay_server.domain.channels import Channel
from jpay_server.domain.money import format_cents
from jpay_server.domain.randomness import TokenBytes
from jpay_server.errors import Conflict, InvalidRequest

CATEGORIES = ("ecommerce", "gaming", "adult_content", "forex", "other")
MAX_REF_NO = 50
MAX_NARRATION = 200
MAX_ACCOUNT_NUMBER = 50
DEFAULT_ACCOUNT_NUMBER = "JPay"  # the docs: defaults to "the platform product name"
_BANK_ACCOUNT = re.compile(r"[A-Za-z0-9]{5,34}")  # fullmatch: "$" allows "\n"
_ID_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


class PaymentKind(StrEnum):
    """Incoming (collection) or outgoing (payout)."""

    COLLECTION = "collection"
    PAYOUT = "payout"


class PaymentStatus(StrEnum):
    """The lifecycle: pending → processing → completed | failed."""

    PENDING = "pending"
    PROCESSING = "processing"
    COMPLETED = "completed"
    FAILED = "failed"

    @property
    def code(self) -> int:
        """The integer the newer initiate-checkout page shows (pending is 0)."""
        return _STATUS_CODES[self]

    @property
    def final(self) -> bool:
        """True once nothing more will happen to the payment."""
        return self in (PaymentStatus.COMPLETED, PaymentStatus.FAILED)


_STATUS_CODES = {status: n for n, status in enumerate(PaymentStatus)}


@dataclass(frozen=True, slots=True)
class Payment:
    """A collection or a payout, with its channel resolved."""

    id: str
    kind: PaymentKind
    app_code: int
    merchant_id: int
    party: str  # payfrom for a collection, payto for a payout
    amount_cents: int
    ref_no: str
    account_number: str | None
    callback_url: str
    category: str
    narration: str
    channel: Channel
    status: PaymentStatus
    failure_reason: str | None
    created_at: datetime
    updated_at: datetime
    next_step_at: datetime | None


def new_payment_id(kind: PaymentKind, rand: TokenBytes, now: datetime) -> str:
    """`COLL-YYYYMMDD-XXXXXXXXXX` or `PAYOUT-…`: 10 random upper-case letters and digits."""
    prefix = "COLL" if kind is PaymentKind.COLLECTION else "PAYOUT"
    return f"{prefix}-{now:%Y%m%d}-{random_code(rand, 10)}"


def random_code(rand: TokenBytes, length: int) -> str:
    """`length` characters of [0-9A-Z] from random bytes (bias below 2**-60)."""
    value = int.from_bytes(rand(16))
    chars = []
    for _ in range(length):
        value, digit = divmod(value, len(_ID_ALPHABET))
        chars.append(_ID_ALPHABET[digit])
    return "".join(chars)


def check_ref_no(value: str) -> str:
    """Your reference: 1-50 printable characters."""
    if not value.strip() or len(value) > MAX_REF_NO or not value.isprintable():
        raise InvalidRequest(
            f"ref_no must be 1-{MAX_REF_NO} printable characters",
            code="invalid_field",
            field="ref_no",
        )
    return value


def check_category(value: str | None) -> str:
    """A documented category; `other` when absent."""
    if value is None:
        return "other"
    if value not in CATEGORIES:
        raise InvalidRequest(
            f"Invalid category: expected one of {', '.join(CATEGORIES)}",
            code="invalid_field",
            field="category",
        )
    return value


def check_narration(value: str | None, default: str) -> str:
    """A description for the gateway: at most 200 characters."""
    if value is None or not value.strip():
        return default
    if len(value) > MAX_NARRATION or not value.isprintable():
        raise InvalidRequest(
            f"narration must be at most {MAX_NARRATION} printable characters",
            code="invalid_field",
            field="narration",
        )
    return value


def check_account_number(value: str | None) -> str:
    """A collection's tracking account number: at most 50 characters."""
    if value is None or not value.strip():
        return DEFAULT_ACCOUNT_NUMBER
    if len(value) > MAX_ACCOUNT_NUMBER or not value.isprintable():
        raise InvalidRequest(
            f"account_number must be at most {MAX_ACCOUNT_NUMBER} printable characters",
            code="invalid_field",
            field="account_number",
        )
    return value


def check_bank_account(value: str) -> str:
    """A payout's bank account number: 5-34 letters and digits."""
    if not _BANK_ACCOUNT.fullmatch(value):
        raise InvalidRequest("Invalid account number", code="invalid_account_number", field="payto")
    return value


def duplicate_ref_no(kind: PaymentKind) -> Conflict:
    """A ref_no the app already used for this kind of payment."""
    noun = "collection" if kind is PaymentKind.COLLECTION else "payout"
    return Conflict(f"A {noun} with this ref_no already exists", code="duplicate_ref_no")


def wire_time(moment: datetime) -> str:
    """A time as the docs show it (created_at): DD/MM/YYYY HH:MM:SS, in UTC."""
    t = moment.astimezone(UTC)
    # strftime("%d/%m/%Y %H:%M:%S") spelled out, %-style being the fastest spelling: strftime
    # was the costliest step of rendering a page of payments.
    fields = (t.day, t.month, t.year, t.hour, t.minute, t.second)
    return "%02d/%02d/%04d %02d:%02d:%02d" % fields  # noqa: UP031


def to_wire(payment: Payment) -> dict[str, Any]:
    """A payment as every endpoint and webhook shows it (see docs/payments-api.md)."""
    party = "payfrom" if payment.kind is PaymentKind.COLLECTION else "payto"
    body: dict[str, Any] = {
        "id": payment.id,
        party: payment.party,
        "amount": format_cents(payment.amount_cents),
        "ref_no": payment.ref_no,
    }
    if payment.kind is PaymentKind.COLLECTION:
        body["account_number"] = payment.account_number
    body.update(
        {
            "callback_url": payment.callback_url,
            "status": payment.status.value,
            "status_code": payment.status.code,
            "category": payment.category,
            "narration": payment.narration,
            "channel": payment.channel.code,
            "channel_name": payment.channel.display_name,
            "channel_type": payment.channel.type.display,
            "app_code": payment.app_code,
            "failure_reason": payment.failure_reason,
            "created_at": wire_time(payment.created_at),
            "updated_at": wire_time(payment.updated_at),
        }
    )
    return body


@dataclass(frozen=True, slots=True)
class PaymentFilter:
    """What a list may be narrowed to."""

    status: PaymentStatus | None = None
    created_from: datetime | None = None
    created_before: datetime | None = None
    party: str | None = None
    ref_no: str | None = None
