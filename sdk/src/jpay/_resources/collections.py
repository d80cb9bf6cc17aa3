"""Collections: ask a customer's mobile-money account for money; list and fetch them."""

from __future__ import annotations

from datetime import date

from jpay._call import Call
from jpay._models import Collection, Page
from jpay._resources._common import Amount, body, path_id, query, wire_amount
from jpay._resources._endpoint import AsyncResource, Resource, async_endpoint, endpoint

BASE = "/payments/collections/checkouts"


def _initiate(
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
) -> Call[Collection]:
    """Ask `payfrom` (an E.164 phone) for `amount`; the customer approves on their phone.

    `app_code` defaults to the app the credentials belong to. Retries reuse one
    `Idempotency-Key` (pass your own to make a retry across restarts safe too).
    """
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
        body=fields,
        idempotency_key=idempotency_key,
        app_scoped=True,
    )


def _list(
    *,
    status: str | None = None,
    date_from: date | str | None = None,
    date_to: date | str | None = None,
    phone: str | None = None,
    ref_no: str | None = None,
    page: int | None = None,
    page_size: int | None = None,
) -> Call[Page[Collection]]:
    """One page of this app's collections, newest first, optionally filtered."""
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
    """One collection by its id (`COLL-…`); NotFoundError if this app has no such one."""
    return Call("GET", f"{BASE}/{path_id(checkout_id)}", Collection.from_json)


class Collections(Resource):
    """`client.collections`: initiate, list and get collections."""

    initiate = endpoint(_initiate)
    list = endpoint(_list)
    get = endpoint(_get)


class AsyncCollections(AsyncResource):
    """`client.collections` of AsyncJPay: initiate, list and get collections."""

    initiate = async_endpoint(_initiate)
    list = async_endpoint(_list)
    get = async_endpoint(_get)
