"""The team: members and their roles; owners and admins change roles and remove members."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from jpay_server.domain.members import Permission, Role
from jpay_server.errors import Conflict, InvalidRequest, PermissionDenied, RateLimited
from jpay_server.services import team
from jpay_server.web.pages.base import (
    Flash,
    client_ip,
    posted_form,
    put_flash,
    redirect,
    render,
    runtime,
    signed_in,
    take_flash,
    when,
)


async def team_page(request: Request) -> Response:
    """Every member of the merchant."""
    me = await signed_in(request)
    rt = runtime(request)
    member = me.member(Permission.READ)
    members = await team.list_team(rt.database, member)
    required = await team.mfa_required(rt.database, member.merchant_id)
    flash = await take_flash(request, me)
    return render(
        request,
        "team.html",
        viewer=me,
        nav="team",
        members=members,
        roles=[r.value for r in Role],
        mfa_required=required,
        notice=flash.notice,
        error=flash.secret if flash.about == "error" else None,
    )


async def change_role(request: Request) -> Response:
    """Give a member another role."""
    me = await signed_in(request)
    form = await posted_form(request, me.csrf)
    member = me.member(Permission.MANAGE_TEAM)
    rt = runtime(request)
    user_id = request.path_params["user_id"]
    role = form.get("role", "")
    if role not in set(Role):
        raise InvalidRequest("Choose a role")
    try:
        await team.change_role(rt.ctx, rt.database, member, user_id, Role(role), client_ip(request))
    except (Conflict, PermissionDenied) as exc:
        await put_flash(request, me, Flash(None, exc.detail, "error"))
        return redirect("/team")
    await put_flash(request, me, Flash("Role changed."))
    return redirect("/team")


async def remove(request: Request) -> Response:
    """Remove a member: their sessions and tokens end at once."""
    me = await signed_in(request)
    await posted_form(request, me.csrf)
    member = me.member(Permission.MANAGE_TEAM)
    rt = runtime(request)
    try:
        await team.remove_member(
            rt.ctx, rt.database, member, request.path_params["user_id"], client_ip(request)
        )
    except (Conflict, PermissionDenied) as exc:
        await put_flash(request, me, Flash(None, exc.detail, "error"))
        return redirect("/team")
    await put_flash(request, me, Flash("Member removed."))
    return redirect("/team")


async def invite(request: Request) -> Response:
    """Invite someone by email, with a role; the link is emailed and shown here."""
    me = await signed_in(request)
    form = await posted_form(request, me.csrf)
    member = me.member(Permission.MANAGE_TEAM)
    rt = runtime(request)
    email, role = form.get("email", "").strip(), form.get("role", "")
    try:
        if role not in set(Role):
            raise InvalidRequest("Choose a role")
        sent = await team.invite(
            rt.ctx, rt.database, rt.limiter, member, email, Role(role), client_ip(request)
        )
    except (Conflict, InvalidRequest, PermissionDenied, RateLimited) as exc:
        await put_flash(request, me, Flash(None, exc.detail, "error"))
        return redirect("/team")
    notice = f"Invitation emailed to {sent.email} (valid until {when(sent.expires_at)})."
    await put_flash(request, me, Flash(notice))
    return redirect("/team")


async def require_mfa(request: Request) -> Response:
    """Require (or stop requiring) two-factor authentication of every member."""
    me = await signed_in(request)
    form = await posted_form(request, me.csrf)
    member = me.member(Permission.MANAGE_TEAM)
    rt = runtime(request)
    required = form.get("required") == "true"
    await team.require_mfa(rt.ctx, rt.database, member, required, client_ip(request))
    notice = "Two-factor authentication is now required." if required else "No longer required."
    await put_flash(request, me, Flash(notice))
    return redirect("/team")


def routes(prefix: str) -> list[BaseRoute]:
    """This module's routes."""
    one = f"{prefix}/team/{{user_id:int}}"
    return [
        Route(f"{prefix}/team", team_page, methods=["GET"]),
        Route(f"{prefix}/team/invite", invite, methods=["POST"]),
        Route(f"{prefix}/team/require-mfa", require_mfa, methods=["POST"]),
        Route(f"{one}/role", change_role, methods=["POST"]),
        Route(f"{one}/remove", remove, methods=["POST"]),
    ]
