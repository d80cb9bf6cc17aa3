"""Wallets and their ledger: every balance change is an entry written with the change."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from jpay_server.domain.money import format_cents
from jpay_server.domain.payments import wire_time
from jpay_server.errors import InvalidRequest


class WalletKind(StrEnum):
    """A merchant has one of each."""

    COLLECTION = "collection"
    PAYOUT = "payout"


class EntryType(StrEnum):
    """Why a balance changed."""

    COLLECTION = "collection"
    PAYOUT = "payout"
    PAYOUT_REVERSAL = "payout_reversal"
    TRANSFER_OUT = "transfer_out"
    TRANSFER_IN = "transfer_in"
    FUNDING = "funding"


@dataclass(frozen=True, slots=True)
class Balances:
    """A merchant's two wallets."""

    collection_cents: int
    payout_cents: int

    def as_wire(self) -> dict[str, str]:
        """The documented `GET /wallets/balance` body."""
        return {
            "collection_wallet_balance": format_cents(self.collection_cents),
            "payout_wallet_balance": format_cents(self.payout_cents),
            "total_balance": format_cents(self.collection_cents + self.payout_cents),
        }


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """One change to one wallet."""

    id: int
    merchant_id: int
    wallet: WalletKind
    type: EntryType
    amount_cents: int  # signed: credits positive, debits negative
    balance_after_cents: int
    reference: str
    description: str
    created_at: datetime


def entry_to_wire(entry: LedgerEntry) -> dict[str, Any]:
    """A ledger entry as the API and its CSV export show it."""
    return {
        "id": entry.id,
        "wallet": entry.wallet.value,
        "type": entry.type.value,
        "amount": format_cents(entry.amount_cents),
        "balance_after": format_cents(entry.balance_after_cents),
        "reference": entry.reference,
        "description": entry.description,
        "created_at": wire_time(entry.created_at),
    }


def insufficient(wallet: WalletKind) -> InvalidRequest:
    """JPay's error when a wallet cannot cover a debit."""
    return InvalidRequest(
        f"Insufficient balance in {wallet.value} wallet",
        code="insufficient_balance",
        field="amount",
    )


@dataclass(frozen=True, slots=True)
class LedgerFilter:
    """What a ledger page may be narrowed to."""

    wallet: WalletKind | None = None
    created_from: datetime | None = None
    created_before: datetime | None = None
