"""The channel catalogue."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse

from jpay_server.api.deps import require, runtime
from jpay_server.api.openapi import BEARER, errors
from jpay_server.api.routes.payments import Page
from jpay_server.api.schemas.payments import ChannelPage
from jpay_server.domain.access import Principal
from jpay_server.domain.channels import ChannelType
from jpay_server.services.channels import list_channels

router = APIRouter(tags=["channels"])


@router.get(
    "/channels",
    response_model=ChannelPage,
    responses=errors(400, 401, 403, 429, 503),
    openapi_extra={"security": BEARER},
    summary="List channels",
    description="Mobile-money networks and banks, ordered by code.",
)
async def channels(
    request: Request,
    principal: Annotated[Principal, Depends(require(None))],
    type: Annotated[ChannelType | None, Query(description="Only this type.")] = None,
    active_only: Annotated[bool, Query(description="Only active channels.")] = True,
    page: Page = 1,
    page_size: Annotated[int, Query(ge=1, le=100)] = 100,
) -> JSONResponse:
    rt = runtime(request)
    count, found = await rt.database.read(
        lambda conn: list_channels(conn, type, active_only, page, page_size)
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
        "page": page,
        "page_size": page_size,
        "total_pages": -(-count // page_size),
    }
    return JSONResponse({"items": items, "pagination": pages})
