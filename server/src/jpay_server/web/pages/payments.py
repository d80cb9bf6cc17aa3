"""Payments across the merchant's apps: collections and payouts, filters, pages, CSV."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from jpay_server.domain.members import Permission
from jpay_server.domain.payments import PaymentFilter, PaymentKind, PaymentStatus
from jpay_server.services import merchant_payments
from jpay_server.web.pages.base import money, render, runtime, signed_in

PAGE_SIZE = 25
CSV_COLUMNS = ("id", "created_at", "kind", "app_code", "ref_no", "party", "amount", "channel")


def _day(text: str | None, *, end: bool = False) -> datetime | None:
    try:
        day = date.fromisoformat(text) if text else None
    except ValueError:
        return None
    if day is None:
        return None
    start = datetime.combine(day, time(), UTC)
    return start + timedelta(days=1) if end and day < date.max else start


def _query(request: Request) -> tuple[PaymentKind, PaymentFilter, int, dict[str, str]]:
    """The list's kind, filter and page from the query string (bad values are ignored)."""
    q = request.query_params
    kind = PaymentKind.PAYOUT if q.get("kind") == "payout" else PaymentKind.COLLECTION
    status = q.get("status", "")
    where = PaymentFilter(
        status=PaymentStatus(status) if status in set(PaymentStatus) else None,
        created_from=_day(q.get("from")),
        created_before=_day(q.get("to"), end=True),
        ref_no=q.get("ref_no") or None,
    )
    page = int(q["page"]) if q.get("page", "").isdigit() and int(q["page"]) > 0 else 1
    kept = {k: q[k] for k in ("kind", "status", "from", "to", "ref_no") if q.get(k)}
    return kind, where, page, kept


async def payment_list(request: Request) -> Response:
    """One page of collections or payouts."""
    me = await signed_in(request)
    member = me.member(Permission.READ)
    rt = runtime(request)
    kind, where, page, kept = _query(request)
    total, rows = await merchant_payments.payments(
        rt.ctx, rt.database, member, kind, where, page, PAGE_SIZE
    )
    pages = max(1, -(-total // PAGE_SIZE))

    def link(number: int) -> str:
        return "?" + urlencode({**kept, "page": str(number)})

    return render(
        request,
        "payments.html",
        viewer=me,
        nav="payments",
        kind=kind.value,
        rows=rows,
        total=total,
        page=page,
        pages=pages,
        previous=link(page - 1) if page > 1 else None,
        next=link(page + 1) if page < pages else None,
        filters=kept,
        statuses=[s.value for s in PaymentStatus],
        export="?" + urlencode(kept),
    )


async def payment_csv(request: Request) -> Response:
    """Every matching payment as CSV (at most the export cap)."""
    me = await signed_in(request)
    member = me.member(Permission.READ)
    rt = runtime(request)
    kind, where, _, _ = _query(request)
    rows = await merchant_payments.export_payments(rt.ctx, rt.database, member, kind, where)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow((*CSV_COLUMNS, "status"))
    for p in rows:
        writer.writerow(
            (
                p.id,
                p.created_at.isoformat(),
                p.kind.value,
                p.app_code,
                _cell(p.ref_no),
                _cell(p.party),
                money(p.amount_cents).replace(",", ""),
                p.channel.name,
                p.status.value,
            )
        )
    name = f"jpay-{kind.value}s.csv"
    headers = {"content-disposition": f'attachment; filename="{name}"'}
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8", headers=headers)


def _cell(text: str) -> str:
    """A cell a spreadsheet will not run as a formula (OWASP CSV injection)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def routes(prefix: str) -> list[BaseRoute]:
    """This module's routes."""
    return [
        Route(f"{prefix}/payments", payment_list, methods=["GET"]),
        Route(f"{prefix}/payments.csv", payment_csv, methods=["GET"]),
    ]
