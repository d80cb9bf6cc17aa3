"""Wallets: the merchant's balances, the ledger, and transfers between the two wallets."""

from __future__ import annotations

from datetime import date

from jpay._call import Call
from jpay._models import Balance, Page, Transfer, WalletTransaction
from jpay._resources._common import Amount, query, wire_amount
from jpay._resources._endpoint import AsyncResource, Resource, async_endpoint, endpoint

BASE = "/wallets"


def _balance() -> Call[Balance]:
    """The collection, payout and total balances (shared by every app of the merchant)."""
    return Call("GET", f"{BASE}/balance", Balance.from_json)


def _transactions(
    *,
    wallet: str | None = None,
    date_from: date | str | None = None,
    date_to: date | str | None = None,
    page: int | None = None,
    page_size: int | None = None,
) -> Call[Page[WalletTransaction]]:
    """One page of the ledger, newest first; `wallet` is "collection" or "payout"."""
    params = query(
        wallet=wallet, date_from=date_from, date_to=date_to, page=page, page_size=page_size
    )
    return Call(
        "GET",
        f"{BASE}/transactions",
        lambda data: Page.from_json(data, WalletTransaction.from_json),
        params,
    )


def _transfer(amount: Amount, *, idempotency_key: str | None = None) -> Call[Transfer]:
    """Move `amount` from the collection wallet to the payout wallet (needs `payouts`)."""
    return Call(
        "POST",
        f"{BASE}/transfers",
        Transfer.from_json,
        body={"amount": wire_amount(amount)},
        idempotency_key=idempotency_key,
    )


class Wallets(Resource):
    """`client.wallets`: balance, transactions and transfer."""

    balance = endpoint(_balance)
    transactions = endpoint(_transactions)
    transfer = endpoint(_transfer)


class AsyncWallets(AsyncResource):
    """`client.wallets` of AsyncJPay: balance, transactions and transfer."""

    balance = async_endpoint(_balance)
    transactions = async_endpoint(_transactions)
    transfer = async_endpoint(_transfer)
