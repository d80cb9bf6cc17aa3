"""The merchant API's app routes: `/api/v1/merchant/apps/...` (user tokens only)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from jpay_server.api.deps import client_ip, require_member, runtime
from jpay_server.api.openapi import BEARER
from jpay_server.api.openapi import merchant_errors as errors
from jpay_server.api.responses import JSONResponse
from jpay_server.api.schemas.merchant import (
    AllowedIps,
    AllowedIpsOut,
    AppCreate,
    AppCreated,
    AppDetailOut,
    AppOut,
    AppRename,
    Products,
    ProductsOut,
    RefreshPolicyBody,
    RefusedRequests,
    Results,
    Rotation,
    SecretRotated,
)
from jpay_server.domain.apps import App
from jpay_server.domain.credentials import SecretRecord
from jpay_server.domain.logins import Login
from jpay_server.domain.members import Member, Permission
from jpay_server.services import logins
from jpay_server.services import merchant_apps as service

router = APIRouter(prefix="/merchant/apps", tags=["merchant"])
Reader = Annotated[Member, Depends(require_member(Permission.READ))]
Developer = Annotated[Member, Depends(require_member(Permission.MANAGE_APPS))]
READ_ERRORS = errors(401, 403, 404, 429, 503)
WRITE_ERRORS = errors(400, 401, 403, 404, 409, 413, 415, 429, 503)


def app_body(app: App) -> dict[str, Any]:
    """An app as the merchant API shows it."""
    return {
        "app_code": app.app_code,
        "app_key": app.app_key,
        "name": app.name,
        "active": app.active,
        "products": list(app.products),
        "allowed_ips": list(app.allowed_ips),
        "refresh_policy": app.refresh_policy.value,
        "webhook_url": app.webhook_url,
        "created_at": iso(app.created_at),
    }


def iso(moment: datetime) -> str:
    """A time in the merchant API: ISO 8601, UTC."""
    return moment.astimezone(UTC).isoformat()


def _when(moment: datetime | None) -> str | None:
    return iso(moment) if moment is not None else None


def _secret(record: SecretRecord, now: datetime) -> dict[str, Any]:
    return {
        "generation": record.generation,
        "created_at": iso(record.created_at),
        "last_used_at": _when(record.last_used_at),
        "expires_at": _when(record.expires_at),
        "live": record.is_live(now),
    }


def _ip(request: Request) -> str | None:
    found = client_ip(request, runtime(request))
    return str(found) if found is not None else None


@router.get(
    "",
    response_model=Results,
    responses=READ_ERRORS,
    openapi_extra={"security": BEARER},
    summary="List the merchant's apps",
)
async def list_apps(request: Request, member: Reader) -> JSONResponse:
    rt = runtime(request)
    apps = await service.list_apps(rt.ctx, rt.database, member)
    return JSONResponse({"results": [app_body(a) for a in apps]})


@router.post(
    "",
    status_code=201,
    response_model=AppCreated,
    responses=WRITE_ERRORS,
    openapi_extra={"security": BEARER},
    summary="Create an app",
    description="A new app with no products and an open allowlist. `app_secret` and "
    "`webhook_secret` are shown in this answer only: store them now.",
)
async def create_app(body: AppCreate, request: Request, member: Developer) -> JSONResponse:
    rt = runtime(request)
    created = await service.create_app(rt.ctx, rt.database, member, _ip(request), body.name)
    content = app_body(created.app) | {
        "app_secret": created.app_secret,
        "webhook_secret": created.webhook_secret,
    }
    return JSONResponse(content, status_code=201)


@router.get(
    "/{app_code}",
    response_model=AppDetailOut,
    responses=READ_ERRORS,
    openapi_extra={"security": BEARER},
    summary="Get an app with its secret generations",
)
async def get_app(app_code: int, request: Request, member: Reader) -> JSONResponse:
    rt = runtime(request)
    detail = await service.app_detail(rt.ctx, rt.database, member, app_code)
    now = rt.ctx.clock()
    secrets = [_secret(r, now) for r in reversed(detail.secrets)]
    content = app_body(detail.app) | {
        "secrets": secrets,
        "granted_products": sorted(detail.granted_products),
    }
    return JSONResponse(content)


@router.patch(
    "/{app_code}",
    response_model=AppOut,
    responses=WRITE_ERRORS,
    openapi_extra={"security": BEARER},
    summary="Rename an app",
)
async def rename_app(
    app_code: int, body: AppRename, request: Request, member: Developer
) -> JSONResponse:
    rt = runtime(request)
    app = await service.rename_app(rt.ctx, rt.database, member, _ip(request), app_code, body.name)
    return JSONResponse(app_body(app))


@router.post(
    "/{app_code}/deactivate",
    response_model=AppOut,
    responses=WRITE_ERRORS,
    openapi_extra={"security": BEARER},
    summary="Deactivate an app",
    description="Its tokens get 403 `app_inactive` within a second; nothing is revoked, and "
    "activating it again restores them.",
)
async def deactivate_app(app_code: int, request: Request, member: Developer) -> JSONResponse:
    rt = runtime(request)
    app = await service.set_active(rt.ctx, rt.database, member, _ip(request), app_code, False)
    return JSONResponse(app_body(app))


@router.post(
    "/{app_code}/activate",
    response_model=AppOut,
    responses=WRITE_ERRORS,
    openapi_extra={"security": BEARER},
    summary="Activate an app again",
)
async def activate_app(app_code: int, request: Request, member: Developer) -> JSONResponse:
    rt = runtime(request)
    app = await service.set_active(rt.ctx, rt.database, member, _ip(request), app_code, True)
    return JSONResponse(app_body(app))


@router.put(
    "/{app_code}/refresh-policy",
    response_model=AppOut,
    responses=WRITE_ERRORS,
    openapi_extra={"security": BEARER},
    summary="Choose the app's refresh policy",
    description="`rotate` (single-use refresh tokens, the default) or `reusable`.",
)
async def set_refresh_policy(
    app_code: int, body: RefreshPolicyBody, request: Request, member: Developer
) -> JSONResponse:
    rt = runtime(request)
    app = await service.set_refresh_policy(
        rt.ctx, rt.database, member, _ip(request), app_code, body.refresh_policy
    )
    return JSONResponse(app_body(app))


@router.put(
    "/{app_code}/allowed-ips",
    response_model=AllowedIpsOut,
    responses=WRITE_ERRORS,
    openapi_extra={"security": BEARER},
    summary="Replace the app's IP allowlist",
    description="IPs or CIDR ranges (at most 100); an empty list allows any address. A range "
    "with host bits set is refused with the range meant ('did you mean 10.0.0.0/24?'). Bites "
    "on issued tokens within a second.",
)
async def set_allowed_ips(
    app_code: int, body: AllowedIps, request: Request, member: Developer
) -> JSONResponse:
    rt = runtime(request)
    app = await service.set_allowed_ips(
        rt.ctx, rt.database, member, _ip(request), app_code, body.allowed_ips
    )
    return JSONResponse({"app_code": app.app_code, "allowed_ips": list(app.allowed_ips)})


@router.put(
    "/{app_code}/products",
    response_model=ProductsOut,
    responses=WRITE_ERRORS,
    openapi_extra={"security": BEARER},
    summary="Enable products on the app",
    description="Exactly these products, within what the operator granted the merchant: "
    "another gets 403 `product_not_granted`.",
)
async def set_products(
    app_code: int, body: Products, request: Request, member: Developer
) -> JSONResponse:
    rt = runtime(request)
    app = await service.set_products(
        rt.ctx, rt.database, member, _ip(request), app_code, body.products
    )
    return JSONResponse({"app_code": app.app_code, "products": list(app.products)})


@router.post(
    "/{app_code}/rotate-secret",
    response_model=SecretRotated,
    responses=WRITE_ERRORS,
    openapi_extra={"security": BEARER},
    summary="Rotate the app's secret",
    description="A new `app_secret`, shown in this answer only. The old one, and tokens "
    "issued under it, keep working for `overlap_seconds` (default 0: they stop at once).",
)
async def rotate_secret(
    app_code: int, body: Rotation, request: Request, member: Developer
) -> JSONResponse:
    rt = runtime(request)
    rotated = await service.rotate_secret(
        rt.ctx, rt.database, member, _ip(request), app_code, body.overlap_seconds
    )
    content = {
        "app_code": rotated.app.app_code,
        "app_key": rotated.app.app_key,
        "app_secret": rotated.app_secret,
        "generation": rotated.generation,
        "previous_expires_at": _when(rotated.previous_expires_at),
    }
    return JSONResponse(content)


@router.get(
    "/{app_code}/refused-requests",
    response_model=RefusedRequests,
    responses=READ_ERRORS,
    openapi_extra={"security": BEARER},
    summary="The app's refused requests",
    description="The last 1,000 requests for this app that got a 401 or 403, newest first, "
    "each with the fix in `hint`. Recorded within a second; never a token, secret or body.",
)
async def refused_requests(app_code: int, request: Request, member: Reader) -> JSONResponse:
    rt = runtime(request)
    found = await service.refused_requests(rt.ctx, rt.database, member, app_code)
    results = [
        {
            "time": iso(r.time),
            "client_ip": r.client_ip,
            "path": r.path,
            "code": r.code,
            "detail": r.detail,
            "hint": r.hint,
        }
        for r in found
    ]
    return JSONResponse({"results": results})


def _login(login: Login) -> dict[str, Any]:
    return {
        "family_id": login.family_id,
        "started_at": iso(login.started_at),
        "last_refresh_at": _when(login.last_refresh_at),
        "client_ip": login.client_ip,
        "ends_at": iso(login.ends_at),
    }


@router.get(
    "/{app_code}/logins",
    response_model=Results,
    responses=READ_ERRORS,
    openapi_extra={"security": BEARER},
    summary="The app's live logins",
    description="Each login (refresh family) that has not ended: when it started, from which "
    "IP, its last refresh and its absolute end. Listed within a second of the login.",
)
async def list_logins(app_code: int, request: Request, member: Reader) -> JSONResponse:
    rt = runtime(request)
    found = await logins.live_logins(rt.ctx, rt.database, member, app_code)
    return JSONResponse({"results": [_login(login) for login in found]})


@router.post(
    "/{app_code}/logins/{family_id}/revoke",
    response_model=dict[str, Any],
    responses=WRITE_ERRORS,
    openapi_extra={"security": BEARER},
    summary="End one login",
    description="Its refresh token stops at once and its access tokens within a second.",
)
async def revoke_login(
    app_code: int, family_id: str, request: Request, member: Developer
) -> JSONResponse:
    rt = runtime(request)
    ended = await logins.revoke_logins(
        rt.ctx, rt.database, rt.logins, member, _ip(request), app_code, family_id
    )
    return JSONResponse({"revoked": ended})


@router.post(
    "/{app_code}/logins/revoke-all",
    response_model=dict[str, Any],
    responses=WRITE_ERRORS,
    openapi_extra={"security": BEARER},
    summary="End every login of the app",
)
async def revoke_all_logins(app_code: int, request: Request, member: Developer) -> JSONResponse:
    rt = runtime(request)
    ended = await logins.revoke_logins(
        rt.ctx, rt.database, rt.logins, member, _ip(request), app_code, None
    )
    return JSONResponse({"revoked": ended})
