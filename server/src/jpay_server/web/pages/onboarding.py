"""Pages finished by emailed links, and the ones that send them: sign up, verify, reset, invite.

Every emailed link opens a page with a form: the token is posted back by a button, never
acted on by the GET itself, so a mail scanner that follows links spends nothing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from jpay_server.errors import InvalidRequest, JPayError, PermissionDenied, RateLimited
from jpay_server.services import accounts
from jpay_server.web.pages.base import (
    anonymous_csrf,
    client_address,
    expected_anonymous_csrf,
    posted_form,
    redirect,
    render,
    runtime,
    with_seed,
)

SENT = "Check your inbox: we sent a link to {email}. It works once, for a limited time."
RESET_SENT = "If {email} has an account, we sent it a link to choose a new password."


def _page(request: Request, template: str, status: int = 200, **context: object) -> Response:
    csrf, new_seed = anonymous_csrf(request)
    page = render(request, template, status, csrf=csrf, viewer=None, **context)
    return with_seed(request, page, new_seed)


async def signup_page(request: Request) -> Response:
    """The sign-up form."""
    return _page(request, "signup.html")


async def signup(request: Request) -> Response:
    """Open an account: a pending merchant and its owner, who must verify the email."""
    form = await posted_form(request, expected_anonymous_csrf(request))
    rt = runtime(request)
    name, email = form.get("business_name", "").strip(), form.get("email", "").strip()
    try:
        await accounts.signup(
            rt.ctx,
            rt.database,
            rt.limiter,
            name,
            email,
            form.get("password", ""),
            client_address(request),
        )
    except (InvalidRequest, PermissionDenied, RateLimited) as exc:
        return _page(request, "signup.html", 400, error=exc.detail, name=name, email=email)
    return _page(
        request, "message.html", title="Check your email", message=SENT.format(email=email)
    )


def _token_page(request: Request, template: str) -> Response:
    return _page(request, template, token=request.query_params.get("token", ""))


async def verify_page(request: Request) -> Response:
    """The page the verification email links to."""
    return _token_page(request, "verify.html")


async def verify(request: Request) -> Response:
    """Confirm the address with the emailed token."""
    form = await posted_form(request, expected_anonymous_csrf(request))
    rt = runtime(request)
    try:
        await accounts.verify_email(
            rt.ctx, rt.database, rt.limiter, form.get("token", ""), client_address(request)
        )
    except JPayError as exc:
        return _page(request, "verify.html", 400, error=exc.detail, token="")
    return redirect("/login?verified=1")


async def forgot_page(request: Request) -> Response:
    """Ask for a password-reset link."""
    return _page(request, "forgot.html")


async def forgot(request: Request) -> Response:
    """Send a reset link if the address has an account (the answer is the same either way)."""
    form = await posted_form(request, expected_anonymous_csrf(request))
    rt = runtime(request)
    email = form.get("email", "").strip()
    try:
        await accounts.forgot_password(
            rt.ctx, rt.database, rt.limiter, email, client_address(request)
        )
    except RateLimited as exc:
        return _page(request, "forgot.html", 429, error=exc.detail)
    message = RESET_SENT.format(email=email)
    return _page(request, "message.html", title="Check your email", message=message)


async def reset_page(request: Request) -> Response:
    """The page the reset email links to: choose a new password."""
    return _token_page(request, "reset.html")


async def reset(request: Request) -> Response:
    """Set the new password; every session and token of the user ends."""
    return await _password_from_link(
        request, accounts.reset_password, "reset.html", "/login?reset=1"
    )


async def invite_page(request: Request) -> Response:
    """The page an invitation links to: choose a password to join the team."""
    return _token_page(request, "accept_invite.html")


async def accept_invite(request: Request) -> Response:
    """Join the team with the invitation's token and a new password."""
    return await _password_from_link(
        request, accounts.accept_invite, "accept_invite.html", "/login?joined=1"
    )


async def _password_from_link(
    request: Request, use_case: Callable[..., Awaitable[object]], template: str, done: str
) -> Response:
    """Run a link's use case with the posted token and new password; the form again on error."""
    form = await posted_form(request, expected_anonymous_csrf(request))
    rt = runtime(request)
    token = form.get("token", "")
    password = form.get("password", "")
    try:
        await use_case(rt.ctx, rt.database, rt.limiter, token, password, client_address(request))
    except JPayError as exc:
        return _page(request, template, 400, error=exc.detail, token=token)
    return redirect(done)


def routes(prefix: str) -> list[BaseRoute]:
    """This module's routes."""
    return [
        Route(f"{prefix}/signup", signup_page, methods=["GET"]),
        Route(f"{prefix}/signup", signup, methods=["POST"]),
        Route(f"{prefix}/verify-email", verify_page, methods=["GET"]),
        Route(f"{prefix}/verify-email", verify, methods=["POST"]),
        Route(f"{prefix}/forgot", forgot_page, methods=["GET"]),
        Route(f"{prefix}/forgot", forgot, methods=["POST"]),
        Route(f"{prefix}/reset-password", reset_page, methods=["GET"]),
        Route(f"{prefix}/reset-password", reset, methods=["POST"]),
        Route(f"{prefix}/accept-invite", invite_page, methods=["GET"]),
        Route(f"{prefix}/accept-invite", accept_invite, methods=["POST"]),
    ]
