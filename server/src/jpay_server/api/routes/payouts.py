"""Payouts: initiate, list, detail; product `payouts`."""

from __future__ import annotations

from starlette.requests import Request

from jpay_server.api.deps import require, runtime
from jpay_server.api.idempotency import answered
from jpay_server.api.openapi import errors
from jpay_server.api.pagination import rendered_page
from jpay_server.api.responses import JSONResponse, SplicedJSONResponse
from jpay_server.api.routes.payments import (
    payment_filter,
)
from jpay_server.api.routing import Routes
from jpay_server.api.schemas.payments import Payout, PayoutInitiate, PayoutPage
from jpay_server.api.schemas.queries import PaymentQuery
from jpay_server.domain.access import Principal
from jpay_server.domain.payments import PaymentKind, to_wire
from jpay_server.services.idempotency import Keyed
from jpay_server.services.payments import PayoutRequest, get_payment, initiate_payout, list_payments

routes = Routes(prefix="/payments/payouts", tag="payouts")


@routes.post(
    "/initiate",
    response=Payout,
    auth=require("payouts"),
    idempotency_key=True,
    body=PayoutInitiate,
    errors=errors(400, 401, 403, 404, 409, 413, 415, 429, 503),
    summary="Initiate a payout",
    description="Send money to a phone (mobile money) or a bank account. The payout wallet "
    "is debited now and credited back if the payout fails.",
)
async def initiate(
    request: Request, principal: Principal, idempotency_key: str | None, body: PayoutInitiate
) -> JSONResponse:
    rt = runtime(request)
    fields = PayoutRequest(**body.model_dump())
    keyed = Keyed(idempotency_key, "payouts.initiate", body.model_dump(mode="json"))
    return answered(await initiate_payout(rt.ctx, rt.database, principal, fields, keyed))


@routes.get(
    "",
    response=PayoutPage,
    auth=require("payouts"),
    query=PaymentQuery,
    errors=errors(400, 401, 403, 429, 503),
    summary="List payouts",
    description="The calling app's payouts, newest first (`phone` matches `payto`).",
)
async def list_payouts(
    request: Request, principal: Principal, q: PaymentQuery
) -> SplicedJSONResponse:
    rt = runtime(request)
    where = payment_filter(q)
    count, found = await rt.database.read(
        lambda conn: list_payments(conn, principal, PaymentKind.PAYOUT, where, q.page, q.page_size)
    )
    return rendered_page(request, q.page, q.page_size, count, found)


@routes.get(
    "/{payout_id}",
    response=Payout,
    auth=require("payouts"),
    errors=errors(401, 403, 404, 429, 503),
    summary="Get a payout",
)
async def get_payout(request: Request, principal: Principal, payout_id: str) -> JSONResponse:
    rt = runtime(request)
    payment = await rt.database.read(
        lambda conn: get_payment(conn, principal, PaymentKind.PAYOUT, payout_id)
    )
    return JSONResponse(to_wire(payment))
