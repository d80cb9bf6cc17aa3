"""Payouts: send money from the payout wallet to a phone or a bank account; list and fetch."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from jpay._call import Call, json_body
from jpay._models import Page, Payout
from jpay._resources._common import Amount, body, path_id, query, wire_amount

if TYPE_CHECKING:
    from jpay._client import AsyncJPay, JPay

BASE = "/payments/payouts"


def _initiate(
    app_code: int,
    payto: str,
    amount: Amount,
    ref_no: str,
    callback_url: str,
    category: str | None,
    narration: str | None,
    channel: int | None,
    idempotency_key: str | None,
) -> Call[Payout]:
    fields = body(
        payto=payto,
        amount=wire_amount(amount),
        ref_no=ref_no,
        callback_url=callback_url,
        app_code=app_code,
        category=category,
        narration=narration,
        channel=channel,
    )
    return Call(
        "POST",
        f"{BASE}/initiate",
        Payout.from_json,
        body=json_body(fields),
        idempotency_key=idempotency_key,
    )


def _list(
    status: str | None,
    date_from: date | str | None,
    date_to: date | str | None,
    phone: str | None,
    ref_no: str | None,
    page: int | None,
    page_size: int | None,
) -> Call[Page[Payout]]:
    params = query(
        status=status,
        date_from=date_from,
        date_to=date_to,
        phone=phone,
        ref_no=ref_no,
        page=page,
        page_size=page_size,
    )
    return Call("GET", BASE, lambda data: Page.from_json(data, Payout.from_json), params)


def _get(payout_id: str) -> Call[Payout]:
    return Call("GET", f"{BASE}/{path_id(payout_id)}", Payout.from_json)


class Payouts:
    """`client.payouts`: initiate, list and get payouts."""

    def __init__(self, client: JPay) -> None:
        self._client = client

    def initiate(
        self,
        *,
        payto: str,
        amount: Amount,
        ref_no: str,
        callback_url: str,
        app_code: int | None = None,
        category: str | None = None,
        narration: str | None = None,
        channel: int | None = None,
        idempotency_key: str | None = None,
    ) -> Payout:
        """Pay `amount` to `payto` (an E.164 phone, or a bank account with a bank `channel`).

        The payout wallet is debited at once. `app_code` defaults to the credentials' app;
        retries reuse one `Idempotency-Key`, so a retried payout is paid once.
        """
        code = app_code if app_code is not None else self._client._app_code()
        return self._client._request(
            _initiate(
                code,
                payto,
                amount,
                ref_no,
                callback_url,
                category,
                narration,
                channel,
                idempotency_key,
            )
        )

    def list(
        self,
        *,
        status: str | None = None,
        date_from: date | str | None = None,
        date_to: date | str | None = None,
        phone: str | None = None,
        ref_no: str | None = None,
        page: int | None = None,
        page_size: int | None = None,
    ) -> Page[Payout]:
        """One page of this app's payouts, newest first (`phone` filters on `payto`)."""
        return self._client._request(
            _list(status, date_from, date_to, phone, ref_no, page, page_size)
        )

    def get(self, payout_id: str) -> Payout:
        """One payout by its id (`PAYOUT-…`); NotFoundError if this app has no such one."""
        return self._client._request(_get(payout_id))


class AsyncPayouts:
    """`client.payouts` of AsyncJPay: initiate, list and get payouts."""

    def __init__(self, client: AsyncJPay) -> None:
        self._client = client

    async def initiate(
        self,
        *,
        payto: str,
        amount: Amount,
        ref_no: str,
        callback_url: str,
        app_code: int | None = None,
        category: str | None = None,
        narration: str | None = None,
        channel: int | None = None,
        idempotency_key: str | None = None,
    ) -> Payout:
        """Pay `amount` to `payto`; see `Payouts.initiate`."""
        code = app_code if app_code is not None else await self._client._app_code()
        return await self._client._request(
            _initiate(
                code,
                payto,
                amount,
                ref_no,
                callback_url,
                category,
                narration,
                channel,
                idempotency_key,
            )
        )

    async def list(
        self,
        *,
        status: str | None = None,
        date_from: date | str | None = None,
        date_to: date | str | None = None,
        phone: str | None = None,
        ref_no: str | None = None,
        page: int | None = None,
        page_size: int | None = None,
    ) -> Page[Payout]:
        """One page of this app's payouts, newest first (`phone` filters on `payto`)."""
        return await self._client._request(
            _list(status, date_from, date_to, phone, ref_no, page, page_size)
        )

    async def get(self, payout_id: str) -> Payout:
        """One payout by its id (`PAYOUT-…`); NotFoundError if this app has no such one."""
        return await self._client._request(_get(payout_id))
