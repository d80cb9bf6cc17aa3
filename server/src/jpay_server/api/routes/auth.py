"""Token endpoints: /auth/app/token, /auth/refresh, and our /auth/revoke."""

from __future__ import annotations

from fastapi import APIRouter, Request

from jpay_server.api.deps import client_ip, rate_limit, refresh_token_app, refusals_noted, runtime
from jpay_server.api.openapi import errors
from jpay_server.api.responses import JSONResponse
from jpay_server.api.schemas.auth import (
    AppTokenRequest,
    RefreshRequest,
    RefreshResponse,
    RevokeRequest,
    RevokeResponse,
    TokenResponse,
)
from jpay_server.domain.ratelimits import client_bucket
from jpay_server.errors import (
    AuthenticationFailed,
    PermissionDenied,
    RateLimited,
)
from jpay_server.services.tokens import family_of, log_in, revoke_family
from jpay_server.services.tokens import refresh as refresh_pair

router = APIRouter(prefix="/auth", tags=["auth"])
# RFC 6749 §5.1: token responses must not be cached (Cache-Control comes from the guard).
_NO_CACHE = {"Pragma": "no-cache"}


@router.post(
    "/app/token",
    response_model=TokenResponse,
    responses=errors(400, 401, 403, 413, 415, 429, 503),
    summary="Get tokens for app credentials",
    description="Trade an app's `app_key` and `app_secret` for an access token (15 minutes) "
    "and a refresh token (7 days). Checks the app's IP allowlist and the merchant and app "
    "state. Rate limited per client IP and per app_key.",
)
async def app_token(body: AppTokenRequest, request: Request) -> JSONResponse:
    rt = runtime(request)
    ip = client_ip(request, rt)
    s = rt.settings
    await rate_limit(rt, (f"token:ip:{client_bucket(ip)}", s.rate_limit_token_per_ip))
    # The per-key limit is checked before the secret, so a key under attack confirms no
    # guess, right ones included; only failures count, so an app's own logins never use it up.
    key_limit = (f"token:key:{body.app_key}", s.rate_limit_token_per_key)
    ahead = await rt.limiter.peek(*key_limit)
    if not ahead.allowed:
        raise RateLimited(ahead.retry_after)
    try:
        with refusals_noted(request, rt, ip, lambda: rt.access.cached_code(body.app_key)):
            grant = await log_in(rt.ctx, rt.access, rt.database, body.app_key, body.app_secret, ip)
    except AuthenticationFailed as exc:
        # A caller outside the app's allowlist can confirm no secret, so its failures do not
        # use up the key's limit: a flood from outside cannot lock the app's own logins out.
        if not isinstance(exc.__cause__, PermissionDenied):
            await rate_limit(rt, key_limit)
        raise
    rt.logins.note_grant(grant, str(ip) if ip is not None else None)  # written within 1 s
    content = {
        "access": grant.pair.access,
        "refresh": grant.pair.refresh,
        "merchant_id": grant.merchant_id,
        "app_code": grant.app_code,
        "products": list(grant.products),
        "expires_in": grant.pair.expires_in,
        "token_type": "Bearer",
    }
    return JSONResponse(content, headers=_NO_CACHE)


@router.post(
    "/refresh",
    response_model=RefreshResponse,
    responses=errors(400, 401, 403, 413, 415, 429, 503),
    summary="Refresh a token pair",
    description="Trade a refresh token for a new pair (public endpoint: the refresh token "
    "alone authenticates, as JPay documents). Refresh tokens are single use: the old one "
    "stops working. Repeating a request within the grace window returns the same new pair; "
    "presenting a used token after it revokes every token of its family.",
)
async def refresh(body: RefreshRequest, request: Request) -> JSONResponse:
    rt = runtime(request)
    ip = client_ip(request, rt)
    await rate_limit(rt, (f"refresh:ip:{client_bucket(ip)}", rt.settings.rate_limit_refresh_per_ip))
    with refusals_noted(request, rt, ip, refresh_token_app(rt, body.refresh)):
        pair = await refresh_pair(rt.ctx, rt.access, rt.database, body.refresh, ip)
    content = {
        "access": pair.access,
        "refresh": pair.refresh,
        "expires_in": pair.expires_in,
        "token_type": "Bearer",
    }
    return JSONResponse(content, headers=_NO_CACHE)


@router.post(
    "/revoke",
    response_model=RevokeResponse,
    responses=errors(400, 413, 415, 429, 503),
    summary="Revoke a token's family (extension)",
    description="Our extension, with RFC 7009 semantics: revokes every token of the family "
    "the given access or refresh token belongs to. Always 200, even for an unknown, expired "
    "or invalid token, so the answer tells nothing about the token.",
)
async def revoke(body: RevokeRequest, request: Request) -> JSONResponse:
    rt = runtime(request)
    ip = client_ip(request, rt)
    await rate_limit(rt, (f"refresh:ip:{client_bucket(ip)}", rt.settings.rate_limit_refresh_per_ip))
    found = await family_of(rt.ctx, rt.access, body.token)
    if found is not None:
        family, app_code = found
        await rt.database.write(
            lambda conn: revoke_family(rt.ctx, conn, family, app_code, "revoked_by_client")
        )
    return JSONResponse({"revoked": True})
