"""The signed-in user's account: who they are, and their dashboard sessions."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from jpay_server.errors import AuthenticationFailed, InvalidRequest
from jpay_server.services import dashboard_sessions
from jpay_server.services.users import change_password
from jpay_server.web import cookies
from jpay_server.web.pages.base import (
    Flash,
    client_ip,
    posted_form,
    put_flash,
    redirect,
    render,
    runtime,
    signed_in,
    state,
    take_flash,
)

WRONG_CURRENT = "Your current password is not right; the password was not changed."


async def account_page(request: Request) -> Response:
    """The user's role and live sessions."""
    me = await signed_in(request)
    rt = runtime(request)
    sessions = await dashboard_sessions.list_sessions(rt.ctx, rt.database, me.session.user_id)
    flash = await take_flash(request, me)
    codes = flash.secret.split("\n") if flash.secret and flash.about == "recovery" else None
    required = request.query_params.get("mfa") == "required"
    return render(
        request,
        "account.html",
        viewer=me,
        nav="account",
        sessions=sessions,
        notice=flash.notice,
        error=flash.secret if flash.about == "error" else None,
        recovery_codes=codes,
        mfa_required_now=required and not me.user.mfa_enabled,
    )


async def end_session(request: Request) -> Response:
    """Sign out one of the user's other sessions."""
    me = await signed_in(request)
    form = await posted_form(request, me.csrf)
    rt = runtime(request)
    await dashboard_sessions.end_session_of_user(
        rt.ctx, rt.database, me.session.user_id, form.get("session", "")
    )
    await put_flash(request, me, Flash("Session signed out."))
    return redirect("/account")


async def new_password(request: Request) -> Response:
    """Change the password with the current one; the service ends every session, this one too."""
    me = await signed_in(request)
    form = await posted_form(request, me.csrf)
    rt = runtime(request)
    try:
        await change_password(
            rt.ctx,
            rt.access,
            rt.database,
            rt.limiter,
            me.user,
            form.get("current_password", ""),
            form.get("new_password", ""),
            client_ip(request),
        )  # the fresh API token pair it returns is for API callers; a browser has no use for it
    except AuthenticationFailed:
        await put_flash(request, me, Flash(None, WRONG_CURRENT, "error"))
        return redirect("/account")
    except InvalidRequest as exc:  # a refused new password: the rule it broke
        await put_flash(request, me, Flash(None, f"{exc.detail}. Password not changed.", "error"))
        return redirect("/account")
    response = redirect("/login?changed=1")
    cookies.clear_session(response, state(request).settings)
    return response


def routes(prefix: str) -> list[BaseRoute]:
    """This module's routes."""
    return [
        Route(f"{prefix}/account", account_page, methods=["GET"]),
        Route(f"{prefix}/account/sessions/end", end_session, methods=["POST"]),
        Route(f"{prefix}/account/password", new_password, methods=["POST"]),
    ]
