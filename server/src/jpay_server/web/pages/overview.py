"""The overview: approval status and what is missing, balances, recent payments."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from jpay_server.domain.members import Permission
from jpay_server.domain.payments import PaymentFilter, PaymentKind
from jpay_server.services import merchant_account, merchant_payments
from jpay_server.web.pages.base import render, runtime, signed_in, take_flash

RECENT = 5


async def overview(request: Request) -> Response:
    """The first page after signing in."""
    me = await signed_in(request)
    member = me.member(Permission.READ)
    rt = runtime(request)
    info = await merchant_account.merchant_info(rt.ctx, rt.database, member)
    balances = await merchant_payments.wallet_balances(rt.ctx, rt.database, member)
    recent = {
        kind: (
            await merchant_payments.payments(
                rt.ctx, rt.database, member, kind, PaymentFilter(), 1, RECENT
            )
        )[1]
        for kind in (PaymentKind.COLLECTION, PaymentKind.PAYOUT)
    }
    flash = await take_flash(request, me)
    return render(
        request,
        "overview.html",
        viewer=me,
        nav="overview",
        info=info,
        balances=balances,
        collections=recent[PaymentKind.COLLECTION],
        payouts=recent[PaymentKind.PAYOUT],
        notice=flash.notice,
    )


def routes(prefix: str) -> list[BaseRoute]:
    """This module's routes."""
    return [Route(f"{prefix}/", overview, methods=["GET"])]
