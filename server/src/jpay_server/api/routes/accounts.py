"""Merchant user endpoints under /auth: login and its second factor.

A user's tokens are refreshed and revoked at the same /auth/refresh and /auth/revoke as an
app's (routes/auth.py): one machinery, two kinds of holder.
"""

from __future__ import annotations

from starlette.requests import Request

from jpay_server.api.deps import client_ip, runtime
from jpay_server.api.openapi import errors
from jpay_server.api.responses import JSONResponse
from jpay_server.api.routing import Routes
from jpay_server.api.schemas.accounts import (
    Accepted,
    AcceptedInvite,
    ForgotRequest,
    LoginMfaRequest,
    LoginRequest,
    MfaRequiredBody,
    OkResponse,
    SignupRequest,
    TokenPasswordRequest,
    TokenRequest,
    UserTokenResponse,
)
from jpay_server.services import accounts, mfa
from jpay_server.services.users import UserGrant, login

routes = Routes(prefix="/auth", tag="merchant users")
_NO_CACHE = {"Pragma": "no-cache"}
_CHECK_EMAIL = "Check your email for a link to continue"


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


@routes.post(
    "/login",
    response=UserTokenResponse,
    body=LoginRequest,
    errors={
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
async def login_route(request: Request, body: LoginRequest) -> JSONResponse:
    rt = runtime(request)
    ip = client_ip(request, rt)
    grant = await login(rt.ctx, rt.access, rt.database, rt.limiter, body.email, body.password, ip)
    return JSONResponse(grant_body(grant), headers=_NO_CACHE)


@routes.post(
    "/login/mfa",
    response=UserTokenResponse,
    body=LoginMfaRequest,
    errors=errors(400, 401, 413, 415, 429, 503),
    summary="Finish a login with a second-factor code",
    description="The `mfa_token` from the 401 `mfa_required` answer (5 minutes) and a 6-digit "
    "TOTP code (each code once) or a recovery code (each once). 401 `invalid_mfa_code` for a "
    "wrong code; rate limited per client IP and per user.",
)
async def login_mfa_route(request: Request, body: LoginMfaRequest) -> JSONResponse:
    rt = runtime(request)
    grant = await mfa.finish_mfa_login(
        rt.ctx,
        rt.access,
        rt.database,
        rt.limiter,
        body.mfa_token,
        body.code,
        client_ip(request, rt),
    )
    return JSONResponse(grant_body(grant), headers=_NO_CACHE)


@routes.post(
    "/signup",
    response=Accepted,
    status=202,
    body=SignupRequest,
    errors=errors(400, 403, 413, 415, 429, 503),
    summary="Sign up a merchant (JPAY_SIGNUP=open)",
    description="Create a pending merchant and its owner, and email a verification link "
    "(`token=`, 24 hours). The answer is the same 202 whether or not the email already has "
    "an account (that address gets an email saying so instead). The merchant stays `pending` "
    "until the operator approves it. 403 `signup_invite_only` when JPAY_SIGNUP=invite.",
)
async def signup_route(request: Request, body: SignupRequest) -> JSONResponse:
    rt = runtime(request)
    await accounts.signup(
        rt.ctx,
        rt.database,
        rt.limiter,
        body.business_name,
        body.email,
        body.password,
        client_ip(request, rt),
    )
    return JSONResponse({"detail": _CHECK_EMAIL}, 202)


@routes.post(
    "/verify-email",
    response=OkResponse,
    body=TokenRequest,
    errors=errors(400, 413, 415, 429, 503),
    summary="Confirm an email address",
    description="Finish signup with the `token` from the verification link (single use). "
    "400 `invalid_link` for an unknown, used or expired token.",
)
async def verify_email_route(request: Request, body: TokenRequest) -> JSONResponse:
    rt = runtime(request)
    await accounts.verify_email(rt.ctx, rt.database, rt.limiter, body.token, client_ip(request, rt))
    return JSONResponse({"detail": "Email address confirmed"})


@routes.post(
    "/password/forgot",
    response=Accepted,
    status=202,
    body=ForgotRequest,
    errors=errors(400, 413, 415, 429, 503),
    summary="Ask for a password reset link",
    description="Always 202, whether or not the address has an account; if it has, a "
    "single-use reset link (`token=`, 30 minutes) is emailed. Rate limited per client IP "
    "and per address.",
)
async def forgot_route(request: Request, body: ForgotRequest) -> JSONResponse:
    rt = runtime(request)
    await accounts.forgot_password(
        rt.ctx, rt.database, rt.limiter, body.email, client_ip(request, rt)
    )
    return JSONResponse({"detail": _CHECK_EMAIL}, 202)


@routes.post(
    "/password/reset",
    response=OkResponse,
    body=TokenPasswordRequest,
    errors=errors(400, 413, 415, 429, 503),
    summary="Set a new password with a reset link",
    description="The `token` from the reset link (single use, 30 minutes) and the new "
    "password (the password rules apply: 400 `weak_password`). Ends every session and "
    "token family of the user, on every process within a second.",
)
async def reset_route(request: Request, body: TokenPasswordRequest) -> JSONResponse:
    rt = runtime(request)
    await accounts.reset_password(
        rt.ctx, rt.database, rt.limiter, body.token, body.password, client_ip(request, rt)
    )
    return JSONResponse({"detail": "Password changed; sign in again"})


@routes.post(
    "/accept-invite",
    response=AcceptedInvite,
    status=201,
    body=TokenPasswordRequest,
    errors=errors(400, 409, 413, 415, 429, 503),
    summary="Join a merchant's team with an invitation",
    description="The `token` from the invitation link (single use, 7 days) and a password: "
    "creates the user with the invited role. 409 `email_taken` if the address already has "
    "an account. Log in next with POST /auth/login.",
)
async def accept_invite_route(request: Request, body: TokenPasswordRequest) -> JSONResponse:
    rt = runtime(request)
    user_id, merchant_id, role = await accounts.accept_invite(
        rt.ctx, rt.database, rt.limiter, body.token, body.password, client_ip(request, rt)
    )
    return JSONResponse({"user_id": user_id, "merchant_id": merchant_id, "role": role.value}, 201)
