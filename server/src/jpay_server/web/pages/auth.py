"""Signing in and out."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from jpay_server.services import dashboard_sessions
from jpay_server.web import cookies
from jpay_server.web.pages.base import (
    anonymous_csrf,
    expected_anonymous_csrf,
    posted_form,
    redirect,
    render,
    runtime,
    state,
    to_sign_in,
    viewer,
    with_seed,
)

BAD_LOGIN = "Wrong email or password."


async def login_page(request: Request) -> Response:
    """The sign-in form (a signed-in visitor goes to the overview)."""
    if await viewer(request) is not None:
        return redirect("/")
    csrf, new_seed = anonymous_csrf(request)
    message = "You have been signed out." if request.query_params.get("out") else None
    page = render(request, "login.html", csrf=csrf, viewer=None, message=message)
    return with_seed(request, page, new_seed)


async def login(request: Request) -> Response:
    """Check the credentials; no merchant user can sign in until accounts exist."""
    form = await posted_form(request, expected_anonymous_csrf(request))
    csrf, _ = anonymous_csrf(request)
    return render(
        request,
        "login.html",
        401,
        csrf=csrf,
        viewer=None,
        error=BAD_LOGIN,
        email=form.get("email", ""),
    )


async def logout(request: Request) -> Response:
    """End this browser's session."""
    me = await viewer(request)
    if me is None:
        return to_sign_in()
    await posted_form(request, me.csrf)
    rt = runtime(request)
    await dashboard_sessions.sign_out(rt.ctx, rt.database, me.token)
    response = redirect("/login?out=1")
    cookies.clear_session(response, state(request).settings)
    return response


async def logout_everywhere(request: Request) -> Response:
    """End every session of this user, on every browser."""
    me = await viewer(request)
    if me is None:
        return to_sign_in()
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
        Route(f"{prefix}/logout", logout, methods=["POST"]),
        Route(f"{prefix}/logout-everywhere", logout_everywhere, methods=["POST"]),
    ]
