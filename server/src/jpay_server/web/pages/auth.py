"""Signing in (with the second-factor step) and out."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from jpay_server.domain.dashboard_sessions import Stage
from jpay_server.errors import AuthenticationFailed, RateLimited
from jpay_server.services import dashboard_sessions, mfa, users
from jpay_server.services.dashboard_sessions import SignedIn
from jpay_server.web import cookies
from jpay_server.web.pages.base import (
    anonymous_csrf,
    client_address,
    client_ip,
    expected_anonymous_csrf,
    posted_form,
    redirect,
    render,
    runtime,
    signed_in,
    state,
    user_agent,
    viewer,
    with_seed,
)

BAD_LOGIN = "Wrong email or password."
BAD_CODE = "That code did not work. Enter the current 6-digit code, or a recovery code."
SLOW_DOWN = "Too many attempts. Wait {seconds} seconds, then try again."
MFA_EXPIRED = "That sign-in took too long. Enter your email and password again."


def _login_page(request: Request, status: int = 200, **context: object) -> Response:
    csrf, new_seed = anonymous_csrf(request)
    page = render(request, "login.html", status, csrf=csrf, viewer=None, **context)
    return with_seed(request, page, new_seed)


async def login_page(request: Request) -> Response:
    """The sign-in form (a signed-in visitor goes to the overview)."""
    if await viewer(request) is not None:
        return redirect("/")
    message = None
    if request.query_params.get("out"):
        message = "You have been signed out."
    elif request.query_params.get("verified"):
        message = "Email verified. Sign in to continue."
    elif request.query_params.get("reset"):
        message = "Password changed. Sign in with the new one."
    elif request.query_params.get("changed"):
        message = (
            "Password changed. Every dashboard session and API token of yours has ended, "
            "this browser's too: sign in with the new password."
        )
    elif request.query_params.get("joined"):
        message = "Welcome to the team. Sign in with your email and new password."
    return _login_page(request, message=message)


async def login(request: Request) -> Response:
    """Check the email and password; then the overview, or the second-factor step."""
    form = await posted_form(request, expected_anonymous_csrf(request))
    email, password = form.get("email", ""), form.get("password", "")
    rt = runtime(request)
    ip = client_ip(request)
    settings = rt.settings
    try:
        verified = await users.verify_login(
            rt.ctx, rt.access, rt.database, rt.limiter, email, password, client_address(request)
        )
    except RateLimited as exc:
        error = SLOW_DOWN.format(seconds=exc.retry_after)
        return _login_page(request, 429, error=error, email=email)
    except AuthenticationFailed as exc:
        error = exc.detail if exc.code == "email_not_verified" else BAD_LOGIN
        return _login_page(request, 401, error=error, email=email)
    who = SignedIn(verified.user.user_id, verified.user.merchant_id, verified.user.token_epoch)
    opened = await dashboard_sessions.open_session(
        rt.ctx, rt.database, who, ip, user_agent(request), mfa_ticket=verified.mfa_token
    )
    response = redirect("/login/mfa" if verified.mfa_token else "/")
    cookies.set_session(response, settings, opened.token)
    return response


async def _half_session(request: Request) -> tuple[str, str] | None:
    """The token and CSRF token of this browser's half-signed-in session, if any."""
    rt = runtime(request)
    token = cookies.session_token(request, rt.settings)
    if token is None:
        return None
    half = await dashboard_sessions.current_session(rt.ctx, rt.database, token, stage=Stage.MFA)
    return None if half is None else (token, half.csrf_token)


async def mfa_page(request: Request) -> Response:
    """The second-factor step."""
    half = await _half_session(request)
    if half is None:
        return redirect("/login")
    return render(request, "login_mfa.html", viewer=None, csrf=half[1])


async def second_factor(request: Request) -> Response:
    """Check the code; a right one swaps the half session for a full one."""
    half = await _half_session(request)
    if half is None:
        return redirect("/login")
    token, csrf = half
    form = await posted_form(request, csrf)
    rt = runtime(request)
    ticket = await dashboard_sessions.mfa_ticket(rt.ctx, rt.database, token)
    if ticket is None:
        return redirect("/login")
    try:
        await mfa.verify_mfa_login(
            rt.ctx,
            rt.access,
            rt.database,
            rt.limiter,
            ticket,
            form.get("code", ""),
            client_address(request),
        )
    except RateLimited as exc:
        error = SLOW_DOWN.format(seconds=exc.retry_after)
        return render(request, "login_mfa.html", 429, viewer=None, csrf=csrf, error=error)
    except AuthenticationFailed as exc:
        if exc.code in {"token_expired", "token_invalid", "token_revoked"}:
            return _login_page(request, 401, error=MFA_EXPIRED)
        return render(request, "login_mfa.html", 401, viewer=None, csrf=csrf, error=BAD_CODE)
    opened = await dashboard_sessions.complete_sign_in(
        rt.ctx, rt.database, token, client_ip(request), user_agent(request)
    )
    if opened is None:
        return redirect("/login")
    response = redirect("/")
    cookies.set_session(response, rt.settings, opened.token)
    return response


async def logout(request: Request) -> Response:
    """End this browser's session."""
    me = await signed_in(request)
    await posted_form(request, me.csrf)
    rt = runtime(request)
    await dashboard_sessions.sign_out(rt.ctx, rt.database, me.token)
    response = redirect("/login?out=1")
    cookies.clear_session(response, state(request).settings)
    return response


async def logout_everywhere(request: Request) -> Response:
    """End every session of this user, on every browser."""
    me = await signed_in(request)
    await posted_form(request, me.csrf)
    rt = runtime(request)
    await dashboard_sessions.sign_out_everywhere(rt.ctx, rt.database, me.session.user_id)
    response = redirect("/login?out=1")
    cookies.clear_session(response, state(request).settings)
    return response


def routes(prefix: str) -> list[BaseRoute]:
    """This module's routes."""
    return [
        Route(f"{prefix}/login", login_page, methods=["GET"]),
        Route(f"{prefix}/login", login, methods=["POST"]),
        Route(f"{prefix}/login/mfa", mfa_page, methods=["GET"]),
        Route(f"{prefix}/login/mfa", second_factor, methods=["POST"]),
        Route(f"{prefix}/logout", logout, methods=["POST"]),
        Route(f"{prefix}/logout-everywhere", logout_everywhere, methods=["POST"]),
    ]
