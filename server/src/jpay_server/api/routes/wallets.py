"""Wallets: balances, the ledger, and transfers to the payout wallet (our extension)."""

from __future__ import annotations

from starlette.requests import Request

from jpay_server.api.deps import require, runtime
from jpay_server.api.idempotency import answered
from jpay_server.api.openapi import errors
from jpay_server.api.pagination import day_range, page_body
from jpay_server.api.responses import JSONResponse
from jpay_server.api.routing import Routes
from jpay_server.api.schemas.payments import (
    Balance,
    LedgerPage,
    TransferRequest,
    TransferResponse,
)
from jpay_server.api.schemas.queries import LedgerQuery
from jpay_server.domain.access import Principal
from jpay_server.domain.wallets import LedgerFilter, entry_to_wire
from jpay_server.services import wallets as service
from jpay_server.services.idempotency import Keyed

routes = Routes(prefix="/wallets", tag="wallets")


@routes.get(
    "/balance",
    response=Balance,
    auth=require(None),
    errors=errors(401, 403, 429, 503),
    summary="Wallet balances",
    description="The merchant's collection and payout wallets (shared by all its apps).",
)
async def balance(request: Request, principal: Principal) -> JSONResponse:
    rt = runtime(request)
    found = await rt.database.read(lambda conn: service.balances(conn, principal.merchant_id))
    return JSONResponse(found.as_wire())


@routes.get(
    "/transactions",
    response=LedgerPage,
    auth=require(None),
    query=LedgerQuery,
    errors=errors(400, 401, 403, 429, 503),
    summary="Wallet transactions",
    description="The ledger: every change to the merchant's wallets, newest first.",
)
async def transactions(request: Request, principal: Principal, q: LedgerQuery) -> JSONResponse:
    rt = runtime(request)
    start, end = day_range(q.date_from, q.date_to)
    where = LedgerFilter(q.wallet, start, end)
    count, entries = await rt.database.read(
        lambda conn: service.ledger(conn, principal.merchant_id, where, q.page, q.page_size)
    )
    rows = [entry_to_wire(e) for e in entries]
    return JSONResponse(page_body(request, q.page, q.page_size, count, rows))


@routes.post(
    "/transfers",
    response=TransferResponse,
    auth=require("payouts"),
    idempotency_key=True,
    body=TransferRequest,
    errors=errors(400, 401, 403, 409, 413, 415, 429, 503),
    summary="Move collections to the payout wallet (extension)",
    description="Our extension: move money from the collection wallet to the payout wallet, "
    "so collected funds can pay out. Requires the `payouts` product.",
)
async def transfer(
    request: Request, principal: Principal, idempotency_key: str | None, body: TransferRequest
) -> JSONResponse:
    rt = runtime(request)
    keyed = Keyed(idempotency_key, "wallets.transfer", body.model_dump(mode="json"))
    return answered(await service.transfer(rt.ctx, rt.database, principal, body.amount, keyed))
