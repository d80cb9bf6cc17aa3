"""Response models with real types: `Decimal` amounts and timezone-aware UTC datetimes.

Each model reads the documented fields and ignores any others, so a server that adds fields
does not break old clients. Amounts are strings on the wire ("1000.00"); the documented time
format is `DD/MM/YYYY HH:MM:SS`, in UTC.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Generic, TypeVar

T = TypeVar("T")
WIRE_TIME = "%d/%m/%Y %H:%M:%S"
# What strptime(WIRE_TIME) accepts, read with a regex: strptime took 30 µs a time, most of
# the SDK's own time on a page of 50 (bench/sdk.py). The form the server writes is rearranged
# into ISO 8601 for the C parser, faster still.
_CANONICAL = re.compile(r"[0-9]{2}/[0-9]{2}/[0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2}")
_WIRE_TIME = re.compile(
    r"([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})\s+([0-9]{1,2}):([0-9]{1,2}):([0-9]{1,2})"
)


def parse_time(value: object) -> datetime:
    """A documented `DD/MM/YYYY HH:MM:SS` time (UTC) as an aware datetime."""
    if not isinstance(value, str):
        raise TypeError("time must be a string")
    if _CANONICAL.fullmatch(value):
        v = value
        return datetime.fromisoformat(f"{v[6:10]}-{v[3:5]}-{v[0:2]}T{v[11:19]}+00:00")
    match = _WIRE_TIME.fullmatch(value)
    if match is None:
        raise ValueError(f"time data {value!r} does not match format {WIRE_TIME!r}")
    day, month, year, hour, minute, second = map(int, match.groups())
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def parse_iso_time(value: object) -> datetime:
    """An ISO 8601 time such as `2026-11-28T14:30:50Z` as an aware datetime."""
    if not isinstance(value, str):
        raise TypeError("time must be a string")
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def parse_amount(value: object) -> Decimal:
    """A wire amount ("1000.00") as a Decimal; numbers are refused, as the server does."""
    if not isinstance(value, str):
        raise TypeError("amount must be a string")
    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise ValueError("invalid amount") from None
    if not amount.is_finite():
        raise ValueError("invalid amount")
    return amount


def _str(data: Mapping[str, Any], name: str) -> str:
    value = data[name]
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string")
    return value


def _opt_str(data: Mapping[str, Any], name: str) -> str | None:
    value = data.get(name)
    return value if isinstance(value, str) else None


def _int(data: Mapping[str, Any], name: str) -> int:
    value = data[name]
    if type(value) is not int:
        raise TypeError(f"{name} must be an integer")
    return value


@dataclass(frozen=True, slots=True)
class Collection:
    """A collection: money asked of a customer's mobile-money account."""

    id: str
    payfrom: str
    amount: Decimal
    ref_no: str
    account_number: str
    callback_url: str
    status: str
    status_code: int
    category: str
    narration: str
    channel: int
    channel_name: str
    channel_type: str
    app_code: int
    failure_reason: str | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Collection:
        """Build from the wire shape."""
        return cls(
            id=_str(data, "id"),
            payfrom=_str(data, "payfrom"),
            amount=parse_amount(data["amount"]),
            ref_no=_str(data, "ref_no"),
            account_number=_str(data, "account_number"),
            callback_url=_str(data, "callback_url"),
            status=_str(data, "status"),
            status_code=_int(data, "status_code"),
            category=_str(data, "category"),
            narration=_str(data, "narration"),
            channel=_int(data, "channel"),
            channel_name=_str(data, "channel_name"),
            channel_type=_str(data, "channel_type"),
            app_code=_int(data, "app_code"),
            failure_reason=_opt_str(data, "failure_reason"),
            created_at=parse_time(data["created_at"]),
            updated_at=parse_time(data["updated_at"]),
        )


@dataclass(frozen=True, slots=True)
class Payout:
    """A payout: money sent to a phone or a bank account from the payout wallet."""

    id: str
    payto: str
    amount: Decimal
    ref_no: str
    status: str
    status_code: int
    category: str
    narration: str
    channel: int
    channel_name: str
    channel_type: str
    callback_url: str
    app_code: int
    failure_reason: str | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Payout:
        """Build from the wire shape."""
        return cls(
            id=_str(data, "id"),
            payto=_str(data, "payto"),
            amount=parse_amount(data["amount"]),
            ref_no=_str(data, "ref_no"),
            status=_str(data, "status"),
            status_code=_int(data, "status_code"),
            category=_str(data, "category"),
            narration=_str(data, "narration"),
            channel=_int(data, "channel"),
            channel_name=_str(data, "channel_name"),
            channel_type=_str(data, "channel_type"),
            callback_url=_str(data, "callback_url"),
            app_code=_int(data, "app_code"),
            failure_reason=_opt_str(data, "failure_reason"),
            created_at=parse_time(data["created_at"]),
            updated_at=parse_time(data["updated_at"]),
        )


@dataclass(frozen=True, slots=True)
class Balance:
    """The merchant's wallet balances."""

    collection_wallet_balance: Decimal
    payout_wallet_balance: Decimal
    total_balance: Decimal

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Balance:
        """Build from the wire shape."""
        return cls(
            collection_wallet_balance=parse_amount(data["collection_wallet_balance"]),
            payout_wallet_balance=parse_amount(data["payout_wallet_balance"]),
            total_balance=parse_amount(data["total_balance"]),
        )


@dataclass(frozen=True, slots=True)
class Transfer:
    """A move from the collection wallet to the payout wallet, and the balances after it."""

    reference: str
    amount: Decimal
    collection_wallet_balance: Decimal
    payout_wallet_balance: Decimal
    total_balance: Decimal

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Transfer:
        """Build from the wire shape."""
        return cls(
            reference=_str(data, "reference"),
            amount=parse_amount(data["amount"]),
            collection_wallet_balance=parse_amount(data["collection_wallet_balance"]),
            payout_wallet_balance=parse_amount(data["payout_wallet_balance"]),
            total_balance=parse_amount(data["total_balance"]),
        )


@dataclass(frozen=True, slots=True)
class WalletTransaction:
    """One ledger entry of a wallet; `amount` is negative for a debit."""

    id: int
    wallet: str
    type: str
    amount: Decimal
    balance_after: Decimal
    reference: str
    description: str
    created_at: datetime

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> WalletTransaction:
        """Build from the wire shape."""
        return cls(
            id=_int(data, "id"),
            wallet=_str(data, "wallet"),
            type=_str(data, "type"),
            amount=parse_amount(data["amount"]),
            balance_after=parse_amount(data["balance_after"]),
            reference=_str(data, "reference"),
            description=_str(data, "description"),
            created_at=parse_time(data["created_at"]),
        )


@dataclass(frozen=True, slots=True)
class Channel:
    """A payment channel (a bank, a mobile-money network, or JPay itself)."""

    code: int
    name: str
    type: str
    type_display: str
    is_active: bool

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Channel:
        """Build from the wire shape."""
        active = data["is_active"]
        if not isinstance(active, bool):
            raise TypeError("is_active must be a boolean")
        return cls(
            code=_int(data, "code"),
            name=_str(data, "name"),
            type=_str(data, "type"),
            type_display=_str(data, "type_display"),
            is_active=active,
        )


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of a list: `results`, the total `count`, and the `next`/`previous` URLs."""

    count: int
    next: str | None
    previous: str | None
    results: list[T]

    def __iter__(self) -> Iterator[T]:
        return iter(self.results)

    @classmethod
    def from_json(cls, data: Mapping[str, Any], item: Callable[[Mapping[str, Any]], T]) -> Page[T]:
        """Build from the wire shape, reading each result with `item`."""
        results = data["results"]
        if not isinstance(results, list):
            raise TypeError("results must be a list")
        return cls(
            count=_int(data, "count"),
            next=_opt_str(data, "next"),
            previous=_opt_str(data, "previous"),
            results=[item(result) for result in results],
        )


@dataclass(frozen=True, slots=True)
class ChannelPage:
    """One page of channels, with the pagination the /channels endpoint reports."""

    items: list[Channel]
    count: int
    page: int
    page_size: int
    total_pages: int

    def __iter__(self) -> Iterator[Channel]:
        return iter(self.items)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ChannelPage:
        """Build from the wire shape."""
        items, pagination = data["items"], data["pagination"]
        if not isinstance(items, list):
            raise TypeError("items must be a list")
        return cls(
            items=[Channel.from_json(item) for item in items],
            count=_int(pagination, "count"),
            page=_int(pagination, "page"),
            page_size=_int(pagination, "page_size"),
            total_pages=_int(pagination, "total_pages"),
        )


@dataclass(frozen=True, slots=True)
class WebhookEvent:
    """A verified webhook: its `id` (deduplicate on it), `type`, `timestamp` and `data`.

    `data` is a `Collection` for `collection.*` events, a `Payout` for `payout.*` events, and
    the raw JSON object for any other type (e.g. `security.refresh_token_reused`).
    """

    id: str
    type: str
    timestamp: datetime
    data: Collection | Payout | dict[str, Any]

    @classmethod
    def from_json(cls, event_id: str, body: Mapping[str, Any]) -> WebhookEvent:
        """Build from a webhook body and its `webhook-id`."""
        kind = _str(body, "type")
        raw = body["data"]
        if not isinstance(raw, dict):
            raise TypeError("data must be an object")
        data: Collection | Payout | dict[str, Any]
        if kind.startswith("collection."):
            data = Collection.from_json(raw)
        elif kind.startswith("payout."):
            data = Payout.from_json(raw)
        else:
            data = raw
        return cls(id=event_id, type=kind, timestamp=parse_iso_time(body["timestamp"]), data=data)
