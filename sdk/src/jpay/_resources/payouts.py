"""Payouts: send money from the payout wallet to a phone or a bank account; list and fetch."""

from __future__ import annotations

from datetime import date

from jpay._call import Call
from jpay._models import Page, Payout
from jpay._resources._common import Amount, body, path_id, query, wire_amount
from jpay._resources._endpoint import AsyncResource, Resource, async_endpoint, endpoint

BASE = "/payments/payouts"


def _initiate(
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
) -> Call[Payout]:
    """Pay `amount` to `payto` (an E.164 phone, or a bank account with a bank `channel`).

    The payout wallet is debited at once. `app_code` defaults to the credentials' app;
    retries reuse one `Idempotency-Key`, so a retried payout is paid once.
    """
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
) -> Call[Page[Payout]]:
    """One page of this app's payouts, newest first (`phone` filters on `payto`)."""
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
    """One payout by its id (`PAYOUT-…`); NotFoundError if this app has no such one."""
    return Call("GET", f"{BASE}/{path_id(payout_id)}", Payout.from_json)


class Payouts(Resource):
    """`client.payouts`: initiate, list and get payouts."""

    initiate = endpoint(_initiate)
    list = endpoint(_list)
    get = endpoint(_get)


class AsyncPayouts(AsyncResource):
    """`client.payouts` of AsyncJPay: initiate, list and get payouts."""

    initiate = async_endpoint(_initiate)
    list = async_endpoint(_list)
    get = async_endpoint(_get)
