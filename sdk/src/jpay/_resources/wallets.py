"""Wallets: the merchant's balances, the ledger, and transfers between the two wallets."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from jpay._call import Call, json_body
from jpay._models import Balance, Page, Transfer, WalletTransaction
from jpay._resources._common import Amount, query, wire_amount

if TYPE_CHECKING:
    from jpay._client import AsyncJPay, JPay

BASE = "/wallets"


def _balance() -> Call[Balance]:
    return Call("GET", f"{BASE}/balance", Balance.from_json)


def _transactions(
    wallet: str | None,
    date_from: date | str | None,
    date_to: date | str | None,
    page: int | None,
    page_size: int | None,
) -> Call[Page[WalletTransaction]]:
    params = query(
        wallet=wallet, date_from=date_from, date_to=date_to, page=page, page_size=page_size
    )
    return Call(
        "GET",
        f"{BASE}/transactions",
        lambda data: Page.from_json(data, WalletTransaction.from_json),
        params,
    )


def _transfer(amount: Amount, idempotency_key: str | None) -> Call[Transfer]:
    return Call(
        "POST",
        f"{BASE}/transfers",
        Transfer.from_json,
        body=json_body({"amount": wire_amount(amount)}),
        idempotency_key=idempotency_key,
    )


class Wallets:
    """`client.wallets`: balance, transactions and transfer."""

    def __init__(self, client: JPay) -> None:
        self._client = client

    def balance(self) -> Balance:
        """The collection, payout and total balances (shared by every app of the merchant)."""
        return self._client._request(_balance())

    def transactions(
        self,
        *,
        wallet: str | None = None,
        date_from: date | str | None = None,
        date_to: date | str | None = None,
        page: int | None = None,
        page_size: int | None = None,
    ) -> Page[WalletTransaction]:
        """One page of the ledger, newest first; `wallet` is "collection" or "payout"."""
        return self._client._request(_transactions(wallet, date_from, date_to, page, page_size))

    def transfer(self, amount: Amount, *, idempotency_key: str | None = None) -> Transfer:
        """Move `amount` from the collection wallet to the payout wallet (needs `payouts`)."""
        return self._client._request(_transfer(amount, idempotency_key))


class AsyncWallets:
    """`client.wallets` of AsyncJPay: balance, transactions and transfer."""

    def __init__(self, client: AsyncJPay) -> None:
        self._client = client

    async def balance(self) -> Balance:
        """The collection, payout and total balances (shared by every app of the merchant)."""
        return await self._client._request(_balance())

    async def transactions(
        self,
        *,
        wallet: str | None = None,
        date_from: date | str | None = None,
        date_to: date | str | None = None,
        page: int | None = None,
        page_size: int | None = None,
    ) -> Page[WalletTransaction]:
        """One page of the ledger, newest first; `wallet` is "collection" or "payout"."""
        return await self._client._request(
            _transactions(wallet, date_from, date_to, page, page_size)
        )

    async def transfer(self, amount: Amount, *, idempotency_key: str | None = None) -> Transfer:
        """Move `amount` from the collection wallet to the payout wallet (needs `payouts`)."""
        return await self._client._request(_transfer(amount, idempotency_key))
