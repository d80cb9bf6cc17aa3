"""Collection, payout, wallet and channel bodies (docs/payments-api.md)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, StrictInt

from jpay_server.api.schemas.common import WireModel

Category = Literal["ecommerce", "gaming", "adult_content", "forex", "other"]
Status = Literal["pending", "processing", "completed", "failed"]
AMOUNT = Field(
    pattern=r"^[1-9][0-9]{0,5}\.[0-9]{2}$",  # exactly 1.00 to 999999.99
    description="KES, a string with exactly two decimals, 1.00 to 999999.99.",
    examples=["1000.00"],
)
CALLBACK = Field(min_length=1, max_length=2048, examples=["https://yourdomain.com/webhook"])


class CollectionInitiate(WireModel):
    """POST /payments/collections/checkouts/initiate."""

    payfrom: str = Field(description="The customer's phone, E.164.", examples=["+254712345678"])
    amount: str = AMOUNT
    ref_no: str = Field(min_length=1, max_length=50, examples=["ORDER-2024-001"])
    callback_url: str = CALLBACK
    app_code: StrictInt = Field(description="The calling token's app.", examples=[12345678])
    account_number: str | None = Field(default=None, max_length=50, examples=["1001"])
    category: Category | None = None
    narration: str | None = Field(default=None, max_length=200)
    channel: StrictInt | None = Field(default=None, description="A mobile-money channel code.")


class PayoutInitiate(WireModel):
    """POST /payments/payouts/initiate."""

    payto: str = Field(
        max_length=64,
        description="A phone (E.164) or a bank account number (5-34 letters and digits).",
        examples=["+254712345678"],
    )
    amount: str = AMOUNT
    ref_no: str = Field(min_length=1, max_length=50, examples=["PAYOUT-2024-001"])
    callback_url: str = CALLBACK
    app_code: StrictInt = Field(description="The calling token's app.", examples=[12345678])
    category: Category | None = None
    narration: str | None = Field(default=None, max_length=200)
    channel: StrictInt | None = Field(default=None, description="Required for bank accounts.")


class _Transaction(BaseModel):
    id: str
    amount: str
    ref_no: str
    callback_url: str
    status: Status
    status_code: int = Field(description="0 pending, 1 processing, 2 completed, 3 failed.")
    category: Category
    narration: str
    channel: int
    channel_name: str
    channel_type: str
    app_code: int
    failure_reason: str | None
    created_at: str = Field(
        description="DD/MM/YYYY HH:MM:SS, UTC.", examples=["28/11/2026 14:30:45"]
    )
    updated_at: str


class Collection(_Transaction):
    """A collection, as every endpoint and webhook shows it."""

    payfrom: str
    account_number: str


class Payout(_Transaction):
    """A payout, as every endpoint and webhook shows it."""

    payto: str


class CollectionPage(BaseModel):
    """A page of collections (the documented DRF-style pagination)."""

    count: int
    next: str | None
    previous: str | None
    results: list[Collection]


class PayoutPage(BaseModel):
    """A page of payouts."""

    count: int
    next: str | None
    previous: str | None
    results: list[Payout]


class Balance(BaseModel):
    """GET /wallets/balance."""

    collection_wallet_balance: str = Field(examples=["45000.00"])
    payout_wallet_balance: str = Field(examples=["12000.00"])
    total_balance: str = Field(examples=["57000.00"])


class LedgerEntryItem(BaseModel):
    """One change to one wallet."""

    id: int
    wallet: Literal["collection", "payout"]
    type: Literal[
        "collection", "payout", "payout_reversal", "transfer_out", "transfer_in", "funding"
    ]
    amount: str = Field(description="Signed: debits are negative.", examples=["-1000.00"])
    balance_after: str
    reference: str
    description: str
    created_at: str


class LedgerPage(BaseModel):
    """A page of the ledger."""

    count: int
    next: str | None
    previous: str | None
    results: list[LedgerEntryItem]


class TransferRequest(WireModel):
    """POST /wallets/transfers (our extension)."""

    amount: str = AMOUNT


class TransferResponse(Balance):
    """A completed transfer and the balances after it."""

    reference: str
    amount: str


class ChannelItem(BaseModel):
    """A channel in the catalogue."""

    code: int
    name: str
    type: Literal["mobile_money", "bank", "internal"]
    type_display: str
    is_active: bool


class Pagination(BaseModel):
    """Page numbers, as the documented channels list gives them."""

    count: int
    page: int
    page_size: int
    total_pages: int


class ChannelPage(BaseModel):
    """GET /channels."""

    items: list[ChannelItem]
    pagination: Pagination
