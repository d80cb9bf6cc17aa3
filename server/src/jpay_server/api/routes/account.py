"""The signed-in merchant user's own account: /api/v1/account."""

from __future__ import annotations

from starlette.requests import Request

from jpay_server.api.deps import audit_ip, current_user, runtime
from jpay_server.api.openapi import errors
from jpay_server.api.responses import JSONResponse
from jpay_server.api.routes.accounts import grant_body
from jpay_server.api.routing import Routes
from jpay_server.api.schemas.accounts import (
    AccountResponse,
    ChangePasswordRequest,
    CodeRequest,
    DisableMfaRequest,
    MfaEnrolment,
    OkResponse,
    RecoveryCodes,
    UserTokenResponse,
)
from jpay_server.domain.users import UserAccess
from jpay_server.services import mfa
from jpay_server.services.users import account_of, change_password

routes = Routes(prefix="/account", tag="merchant users")


@routes.get(
    "",
    response=AccountResponse,
    auth=current_user,
    errors=errors(401, 403, 503),
    summary="The signed-in user",
    description="Who the user token belongs to: user, merchant, role, second factor. Any "
    "role, any merchant state (a user of a pending merchant can see why it is blocked).",
)
async def get_account(request: Request, user: UserAccess) -> JSONResponse:
    rt = runtime(request)
    account = await account_of(rt.database, user)
    return JSONResponse(account)


@routes.post(
    "/mfa/enrol",
    response=MfaEnrolment,
    auth=current_user,
    errors=errors(401, 403, 409, 503),
    summary="Start two-factor enrolment",
    description="A new TOTP secret (RFC 6238: 6 digits, 30 s) as text, `otpauth://` URI and "
    "QR code (SVG and PNG). Nothing changes until POST /account/mfa/confirm with a code.",
)
async def enrol(request: Request, user: UserAccess) -> JSONResponse:
    rt = runtime(request)
    e = await mfa.enrol(rt.ctx, rt.database, user)
    body = {
        "secret": e.secret,
        "otpauth_uri": e.otpauth_uri,
        "qr_svg": e.qr_svg,
        "qr_png": e.qr_png,
    }
    return JSONResponse(body, headers={"Pragma": "no-cache"})


@routes.post(
    "/mfa/confirm",
    response=RecoveryCodes,
    auth=current_user,
    body=CodeRequest,
    errors=errors(400, 401, 403, 409, 413, 415, 429, 503),
    summary="Turn two-factor authentication on",
    description="A current code from the app turns it on and returns ten single-use "
    "recovery codes, shown once (kept only as hashes). Login then asks for a code.",
)
async def confirm(request: Request, user: UserAccess, body: CodeRequest) -> JSONResponse:
    rt = runtime(request)
    codes = await mfa.confirm(rt.ctx, rt.database, rt.limiter, user, body.code, audit_ip(request))
    return JSONResponse({"recovery_codes": codes}, headers={"Pragma": "no-cache"})


@routes.post(
    "/mfa/recovery-codes",
    response=RecoveryCodes,
    auth=current_user,
    body=CodeRequest,
    errors=errors(400, 401, 403, 413, 415, 429, 503),
    summary="Replace the recovery codes",
    description="With a current code: ten new recovery codes; the old ones stop working.",
)
async def recovery_codes(request: Request, user: UserAccess, body: CodeRequest) -> JSONResponse:
    rt = runtime(request)
    codes = await mfa.regenerate_codes(
        rt.ctx, rt.database, rt.limiter, user, body.code, audit_ip(request)
    )
    return JSONResponse({"recovery_codes": codes}, headers={"Pragma": "no-cache"})


@routes.post(
    "/mfa/disable",
    response=OkResponse,
    auth=current_user,
    body=DisableMfaRequest,
    errors=errors(400, 401, 403, 413, 415, 429, 503),
    summary="Turn two-factor authentication off",
    description="Needs the password and a current code (or a recovery code).",
)
async def disable(request: Request, user: UserAccess, body: DisableMfaRequest) -> JSONResponse:
    rt = runtime(request)
    await mfa.disable(
        rt.ctx, rt.database, rt.limiter, user, body.password, body.code, audit_ip(request)
    )
    return JSONResponse({"detail": "Two-factor authentication is off"})


@routes.post(
    "/password",
    response=UserTokenResponse,
    auth=current_user,
    body=ChangePasswordRequest,
    errors=errors(400, 401, 403, 413, 415, 429, 503),
    summary="Change the password",
    description="The current password and a new one (the password rules apply). Every token "
    "family and dashboard session of the user ends, this one included; the answer carries a "
    "fresh token pair, like a login.",
)
async def password(request: Request, user: UserAccess, body: ChangePasswordRequest) -> JSONResponse:
    rt = runtime(request)
    grant = await change_password(
        rt.ctx,
        rt.access,
        rt.database,
        rt.limiter,
        user,
        body.current_password,
        body.new_password,
        audit_ip(request),
    )
    return JSONResponse(grant_body(grant), headers={"Pragma": "no-cache"})
