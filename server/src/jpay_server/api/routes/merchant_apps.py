"""The merchant API's app routes: `/api/v1/merchant/apps/...` (user tokens only)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request

from jpay_server.api.deps import audit_ip, require_member, runtime
from jpay_server.api.openapi import merchant_errors as errors
from jpay_server.api.responses import JSONResponse
from jpay_server.api.routing import Routes
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

routes = Routes(prefix="/merchant/apps", tag="merchant")
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


@routes.get(
    "",
    response=Results,
    auth=require_member(Permission.READ),
    errors=READ_ERRORS,
    summary="List the merchant's apps",
)
async def list_apps(request: Request, member: Member) -> JSONResponse:
    rt = runtime(request)
    apps = await service.list_apps(rt.ctx, rt.database, member)
    return JSONResponse({"results": [app_body(a) for a in apps]})


@routes.post(
    "",
    response=AppCreated,
    status=201,
    auth=require_member(Permission.MANAGE_APPS),
    body=AppCreate,
    errors=WRITE_ERRORS,
    summary="Create an app",
    description="A new app with no products and an open allowlist. `app_secret` and "
    "`webhook_secret` are shown in this answer only: store them now.",
)
async def create_app(request: Request, member: Member, body: AppCreate) -> JSONResponse:
    rt = runtime(request)
    created = await service.create_app(rt.ctx, rt.database, member, audit_ip(request), body.name)
    content = app_body(created.app) | {
        "app_secret": created.app_secret,
        "webhook_secret": created.webhook_secret,
    }
    return JSONResponse(content, status_code=201)


@routes.get(
    "/{app_code}",
    response=AppDetailOut,
    auth=require_member(Permission.READ),
    errors=READ_ERRORS,
    summary="Get an app with its secret generations",
)
async def get_app(request: Request, member: Member, app_code: int) -> JSONResponse:
    rt = runtime(request)
    detail = await service.app_detail(rt.ctx, rt.database, member, app_code)
    now = rt.ctx.clock()
    secrets = [_secret(r, now) for r in reversed(detail.secrets)]
    content = app_body(detail.app) | {
        "secrets": secrets,
        "granted_products": sorted(detail.granted_products),
    }
    return JSONResponse(content)


@routes.patch(
    "/{app_code}",
    response=AppOut,
    auth=require_member(Permission.MANAGE_APPS),
    body=AppRename,
    errors=WRITE_ERRORS,
    summary="Rename an app",
)
async def rename_app(
    request: Request, member: Member, app_code: int, body: AppRename
) -> JSONResponse:
    rt = runtime(request)
    app = await service.rename_app(
        rt.ctx, rt.database, member, audit_ip(request), app_code, body.name
    )
    return JSONResponse(app_body(app))


@routes.post(
    "/{app_code}/deactivate",
    response=AppOut,
    auth=require_member(Permission.MANAGE_APPS),
    errors=WRITE_ERRORS,
    summary="Deactivate an app",
    description="Its tokens get 403 `app_inactive` within a second; nothing is revoked, and "
    "activating it again restores them.",
)
async def deactivate_app(request: Request, member: Member, app_code: int) -> JSONResponse:
    rt = runtime(request)
    app = await service.set_active(rt.ctx, rt.database, member, audit_ip(request), app_code, False)
    return JSONResponse(app_body(app))


@routes.post(
    "/{app_code}/activate",
    response=AppOut,
    auth=require_member(Permission.MANAGE_APPS),
    errors=WRITE_ERRORS,
    summary="Activate an app again",
)
async def activate_app(request: Request, member: Member, app_code: int) -> JSONResponse:
    rt = runtime(request)
    app = await service.set_active(rt.ctx, rt.database, member, audit_ip(request), app_code, True)
    return JSONResponse(app_body(app))


@routes.put(
    "/{app_code}/refresh-policy",
    response=AppOut,
    auth=require_member(Permission.MANAGE_APPS),
    body=RefreshPolicyBody,
    errors=WRITE_ERRORS,
    summary="Choose the app's refresh policy",
    description="`rotate` (single-use refresh tokens, the default) or `reusable`.",
)
async def set_refresh_policy(
    request: Request, member: Member, app_code: int, body: RefreshPolicyBody
) -> JSONResponse:
    rt = runtime(request)
    app = await service.set_refresh_policy(
        rt.ctx, rt.database, member, audit_ip(request), app_code, body.refresh_policy
    )
    return JSONResponse(app_body(app))


@routes.put(
    "/{app_code}/allowed-ips",
    response=AllowedIpsOut,
    auth=require_member(Permission.MANAGE_APPS),
    body=AllowedIps,
    errors=WRITE_ERRORS,
    summary="Replace the app's IP allowlist",
    description="IPs or CIDR ranges (at most 100); an empty list allows any address. A range "
    "with host bits set is refused with the range meant ('did you mean 10.0.0.0/24?'). Bites "
    "on issued tokens within a second.",
)
async def set_allowed_ips(
    request: Request, member: Member, app_code: int, body: AllowedIps
) -> JSONResponse:
    rt = runtime(request)
    app = await service.set_allowed_ips(
        rt.ctx, rt.database, member, audit_ip(request), app_code, body.allowed_ips
    )
    return JSONResponse({"app_code": app.app_code, "allowed_ips": list(app.allowed_ips)})


@routes.put(
    "/{app_code}/products",
    response=ProductsOut,
    auth=require_member(Permission.MANAGE_APPS),
    body=Products,
    errors=WRITE_ERRORS,
    summary="Enable products on the app",
    description="Exactly these products, within what the operator granted the merchant: "
    "another gets 403 `product_not_granted`.",
)
async def set_products(
    request: Request, member: Member, app_code: int, body: Products
) -> JSONResponse:
    rt = runtime(request)
    app = await service.set_products(
        rt.ctx, rt.database, member, audit_ip(request), app_code, body.products
    )
    return JSONResponse({"app_code": app.app_code, "products": list(app.products)})


@routes.post(
    "/{app_code}/rotate-secret",
    response=SecretRotated,
    auth=require_member(Permission.MANAGE_APPS),
    body=Rotation,
    errors=WRITE_ERRORS,
    summary="Rotate the app's secret",
    description="A new `app_secret`, shown in this answer only. The old one, and tokens "
    "issued under it, keep working for `overlap_seconds` (default 0: they stop at once).",
)
async def rotate_secret(
    request: Request, member: Member, app_code: int, body: Rotation
) -> JSONResponse:
    rt = runtime(request)
    rotated = await service.rotate_secret(
        rt.ctx, rt.database, member, audit_ip(request), app_code, body.overlap_seconds
    )
    content = {
        "app_code": rotated.app.app_code,
        "app_key": rotated.app.app_key,
        "app_secret": rotated.app_secret,
        "generation": rotated.generation,
        "previous_expires_at": _when(rotated.previous_expires_at),
    }
    return JSONResponse(content)


@routes.get(
    "/{app_code}/refused-requests",
    response=RefusedRequests,
    auth=require_member(Permission.READ),
    errors=READ_ERRORS,
    summary="The app's refused requests",
    description="The last 1,000 requests for this app that got a 401 or 403, newest first, "
    "each with the fix in `hint`. Recorded within a second; never a token, secret or body.",
)
async def refused_requests(request: Request, member: Member, app_code: int) -> JSONResponse:
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


@routes.get(
    "/{app_code}/logins",
    response=Results,
    auth=require_member(Permission.READ),
    errors=READ_ERRORS,
    summary="The app's live logins",
    description="Each login (refresh family) that has not ended: when it started, from which "
    "IP, its last refresh and its absolute end. Listed within a second of the login.",
)
async def list_logins(request: Request, member: Member, app_code: int) -> JSONResponse:
    rt = runtime(request)
    found = await logins.live_logins(rt.ctx, rt.database, member, app_code)
    return JSONResponse({"results": [_login(login) for login in found]})


@routes.post(
    "/{app_code}/logins/{family_id}/revoke",
    response=dict[str, Any],
    auth=require_member(Permission.MANAGE_APPS),
    errors=WRITE_ERRORS,
    summary="End one login",
    description="Its refresh token stops at once and its access tokens within a second.",
)
async def revoke_login(
    request: Request, member: Member, app_code: int, family_id: str
) -> JSONResponse:
    rt = runtime(request)
    ended = await logins.revoke_logins(
        rt.ctx, rt.database, rt.logins, member, audit_ip(request), app_code, family_id
    )
    return JSONResponse({"revoked": ended})


@routes.post(
    "/{app_code}/logins/revoke-all",
    response=dict[str, Any],
    auth=require_member(Permission.MANAGE_APPS),
    errors=WRITE_ERRORS,
    summary="End every login of the app",
)
async def revoke_all_logins(request: Request, member: Member, app_code: int) -> JSONResponse:
    rt = runtime(request)
    ended = await logins.revoke_logins(
        rt.ctx, rt.database, rt.logins, member, audit_ip(request), app_code, None
    )
    return JSONResponse({"revoked": ended})
