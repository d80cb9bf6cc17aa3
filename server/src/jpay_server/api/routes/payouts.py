"""Payouts: initiate, list, detail; product `payouts`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from jpay_server.api.deps import authorized, require, runtime
from jpay_server.api.idempotency import answered
from jpay_server.api.openapi import BEARER, errors
from jpay_server.api.pagination import page_body
from jpay_server.api.query import parse_query
from jpay_server.api.responses import JSONResponse
from jpay_server.api.routes.payments import (
    LISTING_PARAMETERS,
    IdempotencyKey,
    payment_filter,
)
from jpay_server.api.schemas.payments import Payout, PayoutInitiate, PayoutPage
from jpay_server.api.schemas.queries import PaymentQuery
from jpay_server.domain.access import Principal
from jpay_server.domain.payments import PaymentKind, to_wire
from jpay_server.services.idempotency import Keyed
from jpay_server.services.payments import PayoutRequest, get_payment, initiate_payout, list_payments

router = APIRouter(prefix="/payments/payouts", tags=["payouts"])
Payouts = Annotated[Principal, Depends(require("payouts"))]


@router.post(
    "/initiate",
    response_model=Payout,
    responses=errors(400, 401, 403, 404, 409, 413, 415, 429, 503),
    openapi_extra={"security": BEARER},
    summary="Initiate a payout",
    description="Send money to a phone (mobile money) or a bank account. The payout wallet "
    "is debited now and credited back if the payout fails.",
)
async def initiate(
    body: PayoutInitiate,
    request: Request,
    principal: Payouts,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    rt = runtime(request)
    fields = PayoutRequest(**body.model_dump())
    keyed = Keyed(idempotency_key, "payouts.initiate", body.model_dump(mode="json"))
    return answered(await initiate_payout(rt.ctx, rt.database, principal, fields, keyed))


@router.get(
    "",
    response_model=PayoutPage,
    responses=errors(400, 401, 403, 429, 503),
    openapi_extra={"security": BEARER, **LISTING_PARAMETERS},
    summary="List payouts",
    description="The calling app's payouts, newest first (`phone` matches `payto`).",
)
async def list_payouts(
    request: Request,
) -> JSONResponse:
    principal = await authorized(request, "payouts")
    q = parse_query(request, PaymentQuery)
    rt = runtime(request)
    where = payment_filter(q)
    count, found = await rt.database.read(
        lambda conn: list_payments(conn, principal, PaymentKind.PAYOUT, where, q.page, q.page_size)
    )
    return JSONResponse(page_body(request, q.page, q.page_size, count, [to_wire(p) for p in found]))


@router.get(
    "/{payout_id}",
    response_model=Payout,
    responses=errors(401, 403, 404, 429, 503),
    openapi_extra={"security": BEARER},
    summary="Get a payout",
)
async def get_payout(payout_id: str, request: Request) -> JSONResponse:
    principal = await authorized(request, "payouts")
    rt = runtime(request)
    payment = await rt.database.read(
        lambda conn: get_payment(conn, principal, PaymentKind.PAYOUT, payout_id)
    )
    return JSONResponse(to_wire(payment))
