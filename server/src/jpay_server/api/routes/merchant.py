"""The merchant API's account routes: `GET /api/v1/merchant` and its audit log."""

from __future__ import annotations

from starlette.requests import Request

from jpay_server.api.deps import require_member, runtime
from jpay_server.api.openapi import merchant_errors as errors
from jpay_server.api.responses import JSONResponse
from jpay_server.api.routes.merchant_apps import iso
from jpay_server.api.routing import Routes
from jpay_server.api.schemas.merchant import AuditPage, MerchantOut
from jpay_server.api.schemas.queries import AuditQuery
from jpay_server.domain.members import Member, Permission
from jpay_server.services.merchant_account import merchant_audit, merchant_info

routes = Routes(prefix="/merchant", tag="merchant")


@routes.get(
    "",
    response=MerchantOut,
    auth=require_member(Permission.READ),
    errors=errors(401, 403, 429, 503),
    summary="The caller's merchant",
    description="Its status, the products it may enable, and, while it is pending or "
    "suspended, why it is blocked (`reason`) and what is missing (`missing`).",
)
async def get_merchant(request: Request, member: Member) -> JSONResponse:
    rt = runtime(request)
    info = await merchant_info(rt.ctx, rt.database, member)
    m = info.merchant
    content = {
        "merchant_id": m.id,
        "name": m.name,
        "status": m.status.value,
        "approved_at": iso(m.approved_at) if m.approved_at else None,
        "created_at": iso(m.created_at),
        "granted_products": sorted(info.granted_products),
        "blocked": info.reason is not None,
        "reason": info.reason,
        "missing": list(info.missing),
        "role": member.role.value,
        "user_id": member.user_id,
    }
    return JSONResponse(content)


@routes.get(
    "/audit",
    response=AuditPage,
    auth=require_member(Permission.READ),
    query=AuditQuery,
    errors=errors(400, 401, 403, 429, 503),
    summary="The merchant's audit log",
    description="Every change to the merchant's account, by its users or the operator, newest "
    "first: who, what, on what, when and from which IP. Page back with `before`.",
)
async def audit(
    request: Request,
    member: Member,
    q: AuditQuery,
) -> JSONResponse:
    rt = runtime(request)
    entries = await merchant_audit(rt.database, member, q.limit, q.before)
    results = [
        {
            "id": e.id,
            "created_at": iso(e.created_at),
            "actor": str(e.actor),
            "action": e.action,
            "target": e.target,
            "client_ip": e.client_ip,
            "details": dict(e.details),
        }
        for e in entries
    ]
    next_before = entries[-1].id if len(entries) == q.limit else None
    return JSONResponse({"results": results, "next_before": next_before})
