"""The account's second factor: enrolment with a QR code, recovery codes, turning it off."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from jpay_server.errors import AuthenticationFailed, Conflict
from jpay_server.services import mfa
from jpay_server.web.pages.base import (
    Flash,
    Viewer,
    client_ip,
    posted_form,
    put_flash,
    redirect,
    render,
    runtime,
    signed_in,
)

CODES = "recovery"
RETRY = "That code did not work: scan this new code and try again."


async def _enrolment(
    request: Request, me: Viewer, status: int = 200, error: str | None = None
) -> Response:
    rt = runtime(request)
    enrolment = await mfa.enrol(rt.ctx, rt.database, me.user)
    return render(
        request,
        "mfa_enrol.html",
        status,
        viewer=me,
        nav="account",
        enrolment=enrolment,
        error=error,
    )


async def start(request: Request) -> Response:
    """A new authenticator secret, shown as a QR code until it is confirmed with a code."""
    me = await signed_in(request)
    await posted_form(request, me.csrf)
    try:
        return await _enrolment(request, me)
    except Conflict as exc:
        await put_flash(request, me, Flash(exc.detail))
        return redirect("/account")


async def confirm(request: Request) -> Response:
    """Turn the second factor on with a first code; show the recovery codes once."""
    me = await signed_in(request)
    form = await posted_form(request, me.csrf)
    rt = runtime(request)
    try:
        codes = await mfa.confirm(
            rt.ctx, rt.database, rt.limiter, me.user, form.get("code", ""), client_ip(request)
        )
    except AuthenticationFailed:
        return await _enrolment(
            request, me, 400, "That code did not work: scan this new code and try again."
        )
    notice = "Two-factor authentication is on."
    await put_flash(request, me, Flash(notice, "\n".join(codes), CODES))
    return redirect("/account")


async def recovery_codes(request: Request) -> Response:
    """Ten new recovery codes for the old ones, with a current code."""
    me = await signed_in(request)
    form = await posted_form(request, me.csrf)
    rt = runtime(request)
    try:
        codes = await mfa.regenerate_codes(
            rt.ctx, rt.database, rt.limiter, me.user, form.get("code", ""), client_ip(request)
        )
    except AuthenticationFailed as exc:
        await put_flash(request, me, Flash(None, exc.detail, "error"))
        return redirect("/account")
    await put_flash(request, me, Flash("New recovery codes issued.", "\n".join(codes), CODES))
    return redirect("/account")


async def disable(request: Request) -> Response:
    """Turn the second factor off, with the password and a current code."""
    me = await signed_in(request)
    form = await posted_form(request, me.csrf)
    rt = runtime(request)
    try:
        await mfa.disable(
            rt.ctx,
            rt.database,
            rt.limiter,
            me.user,
            form.get("password", ""),
            form.get("code", ""),
            client_ip(request),
        )
    except (AuthenticationFailed, Conflict) as exc:
        await put_flash(request, me, Flash(None, exc.detail, "error"))
        return redirect("/account")
    await put_flash(request, me, Flash("Two-factor authentication is off."))
    return redirect("/account")


def routes(prefix: str) -> list[BaseRoute]:
    """This module's routes."""
    return [
        Route(f"{prefix}/account/mfa/start", start, methods=["POST"]),
        Route(f"{prefix}/account/mfa/confirm", confirm, methods=["POST"]),
        Route(f"{prefix}/account/mfa/codes", recovery_codes, methods=["POST"]),
        Route(f"{prefix}/account/mfa/disable", disable, methods=["POST"]),
    ]
