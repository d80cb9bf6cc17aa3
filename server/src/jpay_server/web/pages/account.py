"""The signed-in user's account: who they are, and their dashboard sessions."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from jpay_server.services import dashboard_sessions
from jpay_server.web.pages.base import (
    Flash,
    posted_form,
    put_flash,
    redirect,
    render,
    runtime,
    signed_in,
    take_flash,
)


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


def routes(prefix: str) -> list[BaseRoute]:
    """This module's routes."""
    return [
        Route(f"{prefix}/account", account_page, methods=["GET"]),
        Route(f"{prefix}/account/sessions/end", end_session, methods=["POST"]),
    ]
