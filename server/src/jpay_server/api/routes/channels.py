"""The channel catalogue."""

from __future__ import annotations

from starlette.requests import Request

from jpay_server.api.deps import require, runtime
from jpay_server.api.openapi import errors
from jpay_server.api.responses import JSONResponse
from jpay_server.api.routing import Routes
from jpay_server.api.schemas.payments import ChannelPage
from jpay_server.api.schemas.queries import ChannelQuery
from jpay_server.domain.access import Principal
from jpay_server.services.channels import list_channels

routes = Routes(tag="channels")


@routes.get(
    "/channels",
    response=ChannelPage,
    auth=require(None),
    query=ChannelQuery,
    errors=errors(400, 401, 403, 429, 503),
    summary="List channels",
    description="Mobile-money networks and banks, ordered by code.",
)
async def channels(request: Request, _principal: Principal, q: ChannelQuery) -> JSONResponse:
    rt = runtime(request)
    count, found = await rt.database.read(
        lambda conn: list_channels(conn, q.type, q.active_only, q.page, q.page_size)
    )
    items = [
        {
            "code": c.code,
            "name": c.name,
            "type": c.type.value,
            "type_display": c.type.display,
            "is_active": c.is_active,
        }
        for c in found
    ]
    pages = {
        "count": count,
        "page": q.page,
        "page_size": q.page_size,
        "total_pages": -(-count // q.page_size),
    }
    return JSONResponse({"items": items, "pagination": pages})
