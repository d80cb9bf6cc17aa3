"""Collections (checkouts): the list, behind a Bearer token with the `collections` product."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from jpay_server.api.deps import require
from jpay_server.api.openapi import BEARER, errors
from jpay_server.domain.access import Principal

router = APIRouter(prefix="/payments/collections", tags=["collections"])


class CheckoutPage(BaseModel):
    """A page of collections (DRF-style pagination, as the JPay list documents)."""

    count: int
    next: str | None
    previous: str | None
    results: list[dict[str, object]]


@router.get(
    "/checkouts",
    response_model=CheckoutPage,
    responses=errors(400, 401, 403, 429, 503),
    openapi_extra={"security": BEARER},
    summary="List collections",
    description="The app's collections, newest first. Requires the `collections` product.",
)
async def list_checkouts(
    principal: Annotated[Principal, Depends(require("collections"))],
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=100)] = 50,
) -> JSONResponse:
    return JSONResponse({"count": 0, "next": None, "previous": None, "results": []})
