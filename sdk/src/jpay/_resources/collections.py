"""Collections: ask a customer's mobile-money account for money; list and fetch them."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from jpay._call import Call, json_body
from jpay._models import Collection, Page
from jpay._resources._common import Amount, body, path_id, query, wire_amount

if TYPE_CHECKING:
    from jpay._client import AsyncJPay, JPay

BASE = "/payments/collections/checkouts"


def _initiate(
    app_code: int,
    payfrom: str,
    amount: Amount,
    ref_no: str,
    callback_url: str,
    account_number: str | None,
    category: str | None,
    narration: str | None,
    channel: int | None,
    idempotency_key: str | None,
) -> Call[Collection]:
    fields = body(
        payfrom=payfrom,
        amount=wire_amount(amount),
        ref_no=ref_no,
        callback_url=callback_url,
        app_code=app_code,
        account_number=account_number,
        category=category,
        narration=narration,
        channel=channel,
    )
    return Call(
        "POST",
        f"{BASE}/initiate",
        Collection.from_json,
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
) -> Call[Page[Collection]]:
    params = query(
        status=status,
        date_from=date_from,
        date_to=date_to,
        phone=phone,
        ref_no=ref_no,
        page=page,
        page_size=page_size,
    )
    return Call("GET", BASE, lambda data: Page.from_json(data, Collection.from_json), params)


def _get(checkout_id: str) -> Call[Collection]:
    return Call("GET", f"{BASE}/{path_id(checkout_id)}", Collection.from_json)


class Collections:
    """`client.collections`: initiate, list and get collections."""

    def __init__(self, client: JPay) -> None:
        self._client = client

    def initiate(
        self,
        *,
        payfrom: str,
        amount: Amount,
        ref_no: str,
        callback_url: str,
        app_code: int | None = None,
        account_number: str | None = None,
        category: str | None = None,
        narration: str | None = None,
        channel: int | None = None,
        idempotency_key: str | None = None,
    ) -> Collection:
        """Ask `payfrom` (an E.164 phone) for `amount`; the customer approves on their phone.

        `app_code` defaults to the app the credentials belong to. Retries reuse one
        `Idempotency-Key` (pass your own to make a retry across restarts safe too).
        """
        code = app_code if app_code is not None else self._client._app_code()
        return self._client._request(
            _initiate(
                code,
                payfrom,
                amount,
                ref_no,
                callback_url,
                account_number,
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
    ) -> Page[Collection]:
        """One page of this app's collections, newest first, optionally filtered."""
        return self._client._request(
            _list(status, date_from, date_to, phone, ref_no, page, page_size)
        )

    def get(self, checkout_id: str) -> Collection:
        """One collection by its id (`COLL-…`); NotFoundError if this app has no such one."""
        return self._client._request(_get(checkout_id))


class AsyncCollections:
    """`client.collections` of AsyncJPay: initiate, list and get collections."""

    def __init__(self, client: AsyncJPay) -> None:
        self._client = client

    async def initiate(
        self,
        *,
        payfrom: str,
        amount: Amount,
        ref_no: str,
        callback_url: str,
        app_code: int | None = None,
        account_number: str | None = None,
        category: str | None = None,
        narration: str | None = None,
        channel: int | None = None,
        idempotency_key: str | None = None,
    ) -> Collection:
        """Ask `payfrom` (an E.164 phone) for `amount`; see `Collections.initiate`."""
        code = app_code if app_code is not None else await self._client._app_code()
        return await self._client._request(
            _initiate(
                code,
                payfrom,
                amount,
                ref_no,
                callback_url,
                account_number,
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
    ) -> Page[Collection]:
        """One page of this app's collections, newest first, optionally filtered."""
        return await self._client._request(
            _list(status, date_from, date_to, phone, ref_no, page, page_size)
        )

    async def get(self, checkout_id: str) -> Collection:
        """One collection by its id (`COLL-…`); NotFoundError if this app has no such one."""
        return await self._client._request(_get(checkout_id))
