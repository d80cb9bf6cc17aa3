"""The signed-in merchant user's own account: /api/v1/account."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from jpay_server.api.deps import current_user, runtime
from jpay_server.api.openapi import BEARER, errors
from jpay_server.api.responses import JSONResponse
from jpay_server.api.schemas.accounts import AccountResponse
from jpay_server.domain.users import UserAccess
from jpay_server.services.users import account_of

router = APIRouter(prefix="/account", tags=["merchant users"])
User = Annotated[UserAccess, Depends(current_user)]


@router.get(
    "",
    response_model=AccountResponse,
    responses=errors(401, 403, 503),
    openapi_extra={"security": BEARER},
    summary="The signed-in user",
    description="Who the user token belongs to: user, merchant, role, second factor. Any "
    "role, any merchant state (a user of a pending merchant can see why it is blocked).",
)
async def get_account(user: User, request: Request) -> JSONResponse:
    rt = runtime(request)
    account = await account_of(rt.database, user)
    return JSONResponse(account)
