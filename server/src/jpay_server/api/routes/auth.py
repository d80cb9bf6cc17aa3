"""Token endpoints: /auth/app/token, /auth/refresh, and our /auth/revoke."""

from __future__ import annotations

from starlette.requests import Request

from jpay_server.api.deps import client_ip, runtime
from jpay_server.api.openapi import errors
from jpay_server.api.responses import JSONResponse
from jpay_server.api.routing import Routes
from jpay_server.api.schemas.auth import (
    AppTokenRequest,
    RefreshRequest,
    RefreshResponse,
    RevokeRequest,
    RevokeResponse,
    TokenResponse,
)
from jpay_server.services import tokens

routes = Routes(prefix="/auth", tag="auth")
# RFC 6749 §5.1: token responses must not be cached (Cache-Control comes from the guard).
_NO_CACHE = {"Pragma": "no-cache"}


@routes.post(
    "/app/token",
    response=TokenResponse,
    body=AppTokenRequest,
    errors=errors(400, 401, 403, 413, 415, 429, 503),
    summary="Get tokens for app credentials",
    description="Trade an app's `app_key` and `app_secret` for an access token (15 minutes) "
    "and a refresh token (7 days). Checks the app's IP allowlist and the merchant and app "
    "state. Rate limited per client IP and per app_key.",
)
async def app_token(request: Request, body: AppTokenRequest) -> JSONResponse:
    rt = runtime(request)
    ip = client_ip(request, rt)
    # scope["path"] is url.path for this fixed path; request.url would build a whole URL for it.
    grant = await tokens.log_in(rt, body.app_key, body.app_secret, ip, request.scope["path"])
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


@routes.post(
    "/refresh",
    response=RefreshResponse,
    body=RefreshRequest,
    errors=errors(400, 401, 403, 413, 415, 429, 503),
    summary="Refresh a token pair",
    description="Trade a refresh token for a new pair (public endpoint: the refresh token "
    "alone authenticates, as JPay documents). Refresh tokens are single use: the old one "
    "stops working. Repeating a request within the grace window returns the same new pair; "
    "presenting a used token after it revokes every token of its family.",
)
async def refresh(request: Request, body: RefreshRequest) -> JSONResponse:
    rt = runtime(request)
    pair = await tokens.refresh(rt, body.refresh, client_ip(request, rt), request.scope["path"])
    content = {
        "access": pair.access,
        "refresh": pair.refresh,
        "expires_in": pair.expires_in,
        "token_type": "Bearer",
    }
    return JSONResponse(content, headers=_NO_CACHE)


@routes.post(
    "/revoke",
    response=RevokeResponse,
    body=RevokeRequest,
    errors=errors(400, 413, 415, 429, 503),
    summary="Revoke a token's family (extension)",
    description="Our extension, with RFC 7009 semantics: revokes every token of the family "
    "the given access or refresh token belongs to. Always 200, even for an unknown, expired "
    "or invalid token, so the answer tells nothing about the token.",
)
async def revoke(request: Request, body: RevokeRequest) -> JSONResponse:
    rt = runtime(request)
    await tokens.revoke(rt, body.token, client_ip(request, rt))
    return JSONResponse({"revoked": True})
