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
M = TypeVar("M")
WIRE_TIME = "%d/%m/%Y %H:%M:%S"
# What strptime(WIRE_TIME) accepts, read with a regex: strptime took 30 µs a time, most of
# the SDK's own time on a page of 50 (bench/sdk.py).
_WIRE_TIME = re.compile(
    r"([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})\s+([0-9]{1,2}):([0-9]{1,2}):([0-9]{1,2})"
)
# The form the server writes (`28/11/2026 14:30:50`) is rearranged into ISO 8601 for the C
# parser instead. A page's times fall on few days, so each day's ISO form is kept once made:
# the rearranging and its regex were two thirds of a parse.
_CANONICAL_DAY = re.compile(r"[0-9]{2}/[0-9]{2}/[0-9]{4}")
_ISO_DAYS: dict[str, str] = {}
_ISO_DAYS_KEPT = 4096


def _new_iso_day(day: str) -> str | None:
    """`2026-11-28` for the server's `28/11/2026` (kept for next time), or None for another form."""
    if not _CANONICAL_DAY.fullmatch(day):
        return None
    if len(_ISO_DAYS) >= _ISO_DAYS_KEPT:
        _ISO_DAYS.clear()
    iso = _ISO_DAYS[day] = f"{day[6:10]}-{day[3:5]}-{day[0:2]}"
    return iso


def parse_time(value: object) -> datetime:
    """A documented `DD/MM/YYYY HH:MM:SS` time (UTC) as an aware datetime."""
    if (
        type(value) is str
        and len(value) == 19
        and value[10] == " "
        and value[13] == ":" == value[16]
        and value[11:13] < "24"  # fromisoformat reads 24:00:00 as the next midnight (3.14+)
    ):
        iso_day = _ISO_DAYS.get(value[:10]) or _new_iso_day(value[:10])
        if iso_day is not None:
            # fromisoformat reads only two ASCII digits for each of HH, MM and SS here; what it
            # refuses (` 1:02:03`, `14:30:60`) goes on to the regex, which decides.
            try:  # not contextlib.suppress: its enter and exit cost as much as the parse
                return datetime.fromisoformat(f"{iso_day}{value[10:]}+00:00")
            except ValueError:
                pass
    return _parse_wire_time(value)


def _parse_wire_time(value: object) -> datetime:
    """Any form strptime(WIRE_TIME) would read (one-digit fields, more spaces), by regex."""
    if not isinstance(value, str):
        raise TypeError("time must be a string")
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


def _opt_str(data: Mapping[str, Any], name: str) -> str | None:
    value = data.get(name)
    return value if isinstance(value, str) else None


def _plain(
    data: Mapping[str, Any], strings: tuple[str, ...], ints: tuple[str, ...] = ()
) -> dict[str, Any]:
    """A copy of `data` whose named string and integer fields are checked for their JSON type."""
    if type(data) is not dict and not isinstance(data, Mapping):
        raise TypeError("expected a JSON object")
    fields = dict(data)  # one C copy: cheaper than reading the fields one by one
    for name in strings:
        value = fields[name]
        if type(value) is not str and not isinstance(value, str):
            raise TypeError(f"{name} must be a string")
    for name in ints:
        if type(fields[name]) is not int:  # a JSON true is a bool, and not an integer here
            raise TypeError(f"{name} must be an integer")
    return fields


def _made(cls: type[M], fields: dict[str, Any]) -> M:
    """The frozen model `cls` made of `fields`, which hold every field it declares, checked.

    The frozen dataclass's own `__init__` sets each field through `object.__setattr__`, which
    was 2 of the 6 µs an SDK list spent per item (bench/sdk.py); this gives the instance its
    `__dict__` whole, without `__init__`. The result equals `cls(**fields)` and is as frozen.
    """
    names: dict[str, Any] = cls.__dataclass_fields__  # type: ignore[attr-defined]
    if len(fields) != len(names):  # the server sent fields this version does not know
        fields = {name: fields[name] for name in names}
    instance = object.__new__(cls)
    object.__setattr__(instance, "__dict__", fields)
    return instance


# The plain fields of each model, read by `_plain`; the rest are parsed one by one.
_PAYMENT_INTS = ("status_code", "channel", "app_code")
_PAYMENT_STRINGS = ("id", "ref_no", "callback_url", "status", "category", "narration")
_COLLECTION_STRINGS = (
    *_PAYMENT_STRINGS,
    "payfrom",
    "account_number",
    "channel_name",
    "channel_type",
)
_PAYOUT_STRINGS = (*_PAYMENT_STRINGS, "payto", "channel_name", "channel_type")
_BALANCES = ("collection_wallet_balance", "payout_wallet_balance", "total_balance")


def _payment_fields(data: Mapping[str, Any], strings: tuple[str, ...]) -> dict[str, Any]:
    """A collection's or a payout's fields, read and checked."""
    fields = _plain(data, strings, _PAYMENT_INTS)
    fields["amount"] = parse_amount(data["amount"])
    fields["failure_reason"] = _opt_str(data, "failure_reason")
    fields["created_at"] = parse_time(data["created_at"])
    fields["updated_at"] = parse_time(data["updated_at"])
    return fields


@dataclass(frozen=True)
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
        return _made(cls, _payment_fields(data, _COLLECTION_STRINGS))


@dataclass(frozen=True)
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
        return _made(cls, _payment_fields(data, _PAYOUT_STRINGS))


@dataclass(frozen=True)
class Balance:
    """The merchant's wallet balances."""

    collection_wallet_balance: Decimal
    payout_wallet_balance: Decimal
    total_balance: Decimal

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Balance:
        """Build from the wire shape."""
        fields = _plain(data, ())
        for name in _BALANCES:
            fields[name] = parse_amount(data[name])
        return _made(cls, fields)


@dataclass(frozen=True)
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
        fields = _plain(data, ("reference",))
        for name in ("amount", *_BALANCES):
            fields[name] = parse_amount(data[name])
        return _made(cls, fields)


@dataclass(frozen=True)
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
        fields = _plain(data, ("wallet", "type", "reference", "description"), ("id",))
        fields["amount"] = parse_amount(data["amount"])
        fields["balance_after"] = parse_amount(data["balance_after"])
        fields["created_at"] = parse_time(data["created_at"])
        return _made(cls, fields)


@dataclass(frozen=True)
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
        fields = _plain(data, ("name", "type", "type_display"), ("code",))
        if not isinstance(fields["is_active"], bool):
            raise TypeError("is_active must be a boolean")
        return _made(cls, fields)


@dataclass(frozen=True)
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
        fields = _plain(data, (), ("count",))
        fields["next"] = _opt_str(data, "next")
        fields["previous"] = _opt_str(data, "previous")
        fields["results"] = [item(result) for result in results]
        return _made(cls, fields)


@dataclass(frozen=True)
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
        fields = _plain(pagination, (), ("count", "page", "page_size", "total_pages"))
        fields["items"] = [Channel.from_json(item) for item in items]
        return _made(cls, fields)


@dataclass(frozen=True)
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
        kind = body["type"]
        if not isinstance(kind, str):
            raise TypeError("type must be a string")
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
