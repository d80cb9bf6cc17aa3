"""Collections (checkouts): initiate, list, detail; product `collections`."""

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
from jpay_server.api.schemas.payments import Collection, CollectionInitiate, CollectionPage
from jpay_server.api.schemas.queries import PaymentQuery
from jpay_server.domain.access import Principal
from jpay_server.domain.payments import PaymentKind, to_wire
from jpay_server.services.idempotency import Keyed
from jpay_server.services.payments import (
    CollectionRequest,
    get_payment,
    initiate_collection,
    list_payments,
)

routes = Routes(prefix="/payments/collections", tag="collections")


@routes.post(
    "/checkouts/initiate",
    response=Collection,
    auth=require("collections"),
    idempotency_key=True,
    body=CollectionInitiate,
    errors=errors(400, 401, 403, 404, 409, 413, 415, 429, 503),
    summary="Initiate a collection",
    description="Ask a customer to pay from their mobile-money wallet (an STK push). The "
    "channel is inferred from the carrier unless given. Final states are reported to "
    "`callback_url` as signed webhooks.",
)
async def initiate(
    request: Request, principal: Principal, idempotency_key: str | None, body: CollectionInitiate
) -> JSONResponse:
    rt = runtime(request)
    fields = CollectionRequest(**body.model_dump())
    keyed = Keyed(idempotency_key, "collections.initiate", body.model_dump(mode="json"))
    return answered(await initiate_collection(rt.ctx, rt.database, principal, fields, keyed))


@routes.get(
    "/checkouts",
    response=CollectionPage,
    auth=require("collections"),
    query=PaymentQuery,
    errors=errors(400, 401, 403, 429, 503),
    summary="List collections",
    description="The calling app's collections, newest first.",
)
async def list_collections(
    request: Request, principal: Principal, q: PaymentQuery
) -> SplicedJSONResponse:
    rt = runtime(request)
    where = payment_filter(q)
    count, found = await rt.database.read(
        lambda conn: list_payments(
            conn, principal, PaymentKind.COLLECTION, where, q.page, q.page_size
        )
    )
    return rendered_page(request, q.page, q.page_size, count, found)


@routes.get(
    "/checkouts/{checkout_id}",
    response=Collection,
    auth=require("collections"),
    errors=errors(401, 403, 404, 429, 503),
    summary="Get a collection",
)
async def get_collection(request: Request, principal: Principal, checkout_id: str) -> JSONResponse:
    rt = runtime(request)
    payment = await rt.database.read(
        lambda conn: get_payment(conn, principal, PaymentKind.COLLECTION, checkout_id)
    )
    return JSONResponse(to_wire(payment))
