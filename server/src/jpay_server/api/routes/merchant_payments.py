"""The merchant API's money routes: payments across all apps, balances, ledger, CSV exports."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

from pydantic import Field
from starlette.requests import Request
from starlette.responses import Response

from jpay_server.api.deps import require_member, runtime
from jpay_server.api.openapi import BEARER
from jpay_server.api.openapi import merchant_errors as errors
from jpay_server.api.pagination import day_range, page_body
from jpay_server.api.query import parameters, parse_query
from jpay_server.api.responses import JSONResponse
from jpay_server.api.routes.payments import payment_filter
from jpay_server.api.routing import Routes
from jpay_server.api.schemas.payments import Balance, CollectionPage, LedgerPage, PayoutPage
from jpay_server.api.schemas.queries import LedgerQuery, PaymentQuery
from jpay_server.domain.members import Member, Permission
from jpay_server.domain.payments import PaymentKind, to_wire
from jpay_server.domain.wallets import LedgerFilter, entry_to_wire
from jpay_server.services import merchant_payments as service

routes = Routes(prefix="/merchant", tag="merchant")
LIST_ERRORS = errors(400, 401, 403, 429, 503)
# A cell that a spreadsheet would run as a formula is prefixed with ' (OWASP CSV injection).
_FORMULA_START = ("=", "@", "\t", "\r")


class MerchantPaymentQuery(PaymentQuery):
    """The app routes' payment filters, plus one app of the merchant's."""

    app_code: int | None = Field(None, ge=0, description="Only this app's payments.")


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    if text.startswith(_FORMULA_START) or (text[:1] in ("+", "-") and not text[1:2].isdigit()):
        return "'" + text
    return text


def csv_response(filename: str, columns: Sequence[str], rows: Iterable[dict[str, Any]]) -> Response:
    """A CSV attachment: a header row, then one row per record."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(row.get(c)) for c in columns])
    headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8", headers=headers)


async def _payments_page(request: Request, member: Member, kind: PaymentKind) -> JSONResponse:
    q = parse_query(request, MerchantPaymentQuery)
    rt = runtime(request)
    count, found = await service.payments(
        rt.ctx, rt.database, member, kind, payment_filter(q), q.page, q.page_size, q.app_code
    )
    return JSONResponse(page_body(request, q.page, q.page_size, count, [to_wire(p) for p in found]))


async def _payments_csv(request: Request, member: Member, kind: PaymentKind) -> Response:
    q = parse_query(request, MerchantPaymentQuery)
    rt = runtime(request)
    found = await service.export_payments(
        rt.ctx, rt.database, member, kind, payment_filter(q), q.app_code
    )
    rows = [to_wire(p) for p in found]
    party = "payfrom" if kind is PaymentKind.COLLECTION else "payto"
    columns = ["id", "app_code", party, "amount", "ref_no", "status", "status_code", "channel",
               "channel_name", "category", "narration", "failure_reason", "created_at",
               "updated_at"]  # fmt: skip
    return csv_response(f"{kind.value}s.csv", columns, rows)


_PAYMENT_PARAMETERS = {"security": BEARER, **parameters(MerchantPaymentQuery)}


@routes.get(
    "/collections",
    response=CollectionPage,
    auth=require_member(Permission.READ),
    query=MerchantPaymentQuery,
    errors=LIST_ERRORS,
    summary="Collections across all the merchant's apps",
)
async def collections(request: Request, member: Member, q: MerchantPaymentQuery) -> JSONResponse:
    return await _payments_page(request, member, PaymentKind.COLLECTION)


@routes.get(
    "/payouts",
    response=PayoutPage,
    auth=require_member(Permission.READ),
    query=MerchantPaymentQuery,
    errors=LIST_ERRORS,
    summary="Payouts across all the merchant's apps",
)
async def payouts(request: Request, member: Member, q: MerchantPaymentQuery) -> JSONResponse:
    return await _payments_page(request, member, PaymentKind.PAYOUT)


@routes.get(
    "/collections.csv",
    auth=require_member(Permission.READ),
    query=MerchantPaymentQuery,
    errors={200: {"content": {"text/csv": {}}}, **LIST_ERRORS},
    summary="Collections as CSV",
    description="Every matching collection (at most 10,000, newest first); the same filters.",
)
async def collections_csv(request: Request, member: Member, q: MerchantPaymentQuery) -> Response:
    return await _payments_csv(request, member, PaymentKind.COLLECTION)


@routes.get(
    "/payouts.csv",
    auth=require_member(Permission.READ),
    query=MerchantPaymentQuery,
    errors={200: {"content": {"text/csv": {}}}, **LIST_ERRORS},
    summary="Payouts as CSV",
    description="Every matching payout (at most 10,000, newest first); the same filters.",
)
async def payouts_csv(request: Request, member: Member, q: MerchantPaymentQuery) -> Response:
    return await _payments_csv(request, member, PaymentKind.PAYOUT)


@routes.get(
    "/balance",
    response=Balance,
    auth=require_member(Permission.READ),
    errors=errors(401, 403, 429, 503),
    summary="The merchant's wallet balances",
)
async def balance(request: Request, member: Member) -> JSONResponse:
    rt = runtime(request)
    found = await service.wallet_balances(rt.ctx, rt.database, member)
    return JSONResponse(found.as_wire())


def _ledger_filter(q: LedgerQuery) -> LedgerFilter:
    start, end = day_range(q.date_from, q.date_to)
    return LedgerFilter(q.wallet, start, end)


@routes.get(
    "/ledger",
    response=LedgerPage,
    auth=require_member(Permission.READ),
    query=LedgerQuery,
    errors=LIST_ERRORS,
    summary="The merchant's ledger",
)
async def ledger(request: Request, member: Member, q: LedgerQuery) -> JSONResponse:
    rt = runtime(request)
    count, entries = await service.ledger(
        rt.ctx, rt.database, member, _ledger_filter(q), q.page, q.page_size
    )
    rows = [entry_to_wire(e) for e in entries]
    return JSONResponse(page_body(request, q.page, q.page_size, count, rows))


@routes.get(
    "/ledger.csv",
    auth=require_member(Permission.READ),
    query=LedgerQuery,
    errors={200: {"content": {"text/csv": {}}}, **LIST_ERRORS},
    summary="The ledger as CSV",
    description="Every matching entry (at most 10,000, newest first); the same filters.",
)
async def ledger_csv(request: Request, member: Member, q: LedgerQuery) -> Response:
    rt = runtime(request)
    entries = await service.export_ledger(rt.ctx, rt.database, member, _ledger_filter(q))
    columns = ["id", "created_at", "wallet", "type", "amount", "balance_after", "reference",
               "description"]  # fmt: skip
    return csv_response("ledger.csv", columns, [entry_to_wire(e) for e in entries])
