"""Merchant user endpoints under /auth: login and its second factor.

A user's tokens are refreshed and revoked at the same /auth/refresh and /auth/revoke as an
app's (routes/auth.py): one machinery, two kinds of holder.
"""

from __future__ import annotations

from fastapi import APIRouter, Request

from jpay_server.api.deps import client_ip, rate_limit, runtime
from jpay_server.api.openapi import errors
from jpay_server.api.responses import JSONResponse
from jpay_server.api.schemas.accounts import LoginRequest, MfaRequiredBody, UserTokenResponse
from jpay_server.domain.ratelimits import client_bucket
from jpay_server.domain.users import email_key
from jpay_server.services.users import UserGrant, login

router = APIRouter(prefix="/auth", tags=["merchant users"])
_NO_CACHE = {"Pragma": "no-cache"}


def grant_body(grant: UserGrant) -> dict[str, object]:
    """The login response: the token pair and who it is for."""
    return {
        "access": grant.pair.access,
        "refresh": grant.pair.refresh,
        "merchant_id": grant.user.merchant_id,
        "user_id": grant.user.user_id,
        "role": grant.user.role.value,
        "expires_in": grant.pair.expires_in,
        "token_type": "Bearer",
    }


@router.post(
    "/login",
    response_model=UserTokenResponse,
    responses={
        **errors(400, 403, 413, 415, 429, 503),
        401: {
            "model": MfaRequiredBody,
            "description": "invalid_credentials (wrong password and unknown email alike), "
            "or mfa_required with an `mfa_token` for POST /auth/login/mfa.",
        },
    },
    summary="Log in as a merchant user",
    description="Trade a merchant user's email and password for an access token (15 minutes) "
    "and a refresh token (7 days), refreshed and revoked like an app's. A wrong password and "
    "an unknown email get the same 401 after the same hashing work. A user with a second "
    "factor gets 401 `mfa_required` and an `mfa_token`. Rate limited per client IP and per "
    "email (every attempt counts: past the limit even the right password waits).",
)
async def login_route(body: LoginRequest, request: Request) -> JSONResponse:
    rt = runtime(request)
    ip = client_ip(request, rt)
    s = rt.settings
    await rate_limit(
        rt,
        (f"login:ip:{client_bucket(ip)}", s.rate_limit_login_per_ip),
        (f"login:email:{email_key(body.email)}", s.rate_limit_login_per_account),
    )
    grant = await login(rt.ctx, rt.access, rt.database, body.email, body.password)
    return JSONResponse(grant_body(grant), headers=_NO_CACHE)
