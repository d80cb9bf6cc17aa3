"""Apps: the list, creation, and each app's settings, credentials, allowlist and refusals."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from jpay_server.domain.members import Permission
from jpay_server.errors import InvalidRequest
from jpay_server.services import logins, merchant_apps
from jpay_server.web.forms import OVERLAP_ERROR, overlap_field
from jpay_server.web.pages.base import (
    Flash,
    Viewer,
    app_code,
    client_ip,
    posted_form,
    put_flash,
    redirect,
    render,
    runtime,
    signed_in,
    take_flash,
)

PRODUCTS = ("collections", "payouts")


async def app_list(request: Request) -> Response:
    """Every app of the merchant."""
    me = await signed_in(request)
    rt = runtime(request)
    found = await merchant_apps.list_apps(rt.ctx, rt.database, me.member(Permission.READ))
    flash = await take_flash(request, me)
    return render(request, "apps.html", viewer=me, nav="apps", apps=found, flash=flash)


async def new_app_page(request: Request) -> Response:
    """The form that names a new app."""
    me = await signed_in(request)
    me.member(Permission.MANAGE_APPS)
    return render(request, "app_new.html", viewer=me, nav="apps")


async def create_app(request: Request) -> Response:
    """Create the app; its detail page then shows the key and, once, the secret."""
    me = await signed_in(request)
    form = await posted_form(request, me.csrf)
    member = me.member(Permission.MANAGE_APPS)
    rt = runtime(request)
    name = form.get("name", "").strip()
    try:
        created = await merchant_apps.create_app(
            rt.ctx, rt.database, member, client_ip(request), name
        )
    except InvalidRequest as exc:
        page = render(request, "app_new.html", 400, viewer=me, nav="apps", error=exc.detail)
        return page
    code = created.app.app_code
    notice = f"App “{created.app.name}” created."
    await put_flash(request, me, Flash(notice, created.app_secret, f"app:{code}"))
    return redirect(f"/apps/{code}")


async def _detail(
    request: Request, me: Viewer, flash: Flash, status: int = 200, **extra: Any
) -> Response:
    rt = runtime(request)
    member = me.member(Permission.READ)
    code = app_code(request)
    detail = await merchant_apps.app_detail(rt.ctx, rt.database, member, code)
    refused = await merchant_apps.refused_requests(rt.ctx, rt.database, member, code)
    live = await logins.live_logins(rt.ctx, rt.database, member, code)
    secret = flash.secret if flash.about == f"app:{code}" else None
    return render(
        request,
        "app_detail.html",
        status,
        viewer=me,
        nav="apps",
        detail=detail,
        app=detail.app,
        refused=refused,
        logins=live,
        notice=flash.notice,
        new_secret=secret,
        my_ip=client_ip(request),
        now=rt.ctx.clock(),
        products=PRODUCTS,
        **extra,
    )


async def app_page(request: Request) -> Response:
    """One app: key, products, policy, secrets, allowlist, refused requests."""
    me = await signed_in(request)
    return await _detail(request, me, await take_flash(request, me))


async def _change(request: Request, form_use: Any) -> Response:
    """Run one developer change from a posted form, then show the app again."""
    me = await signed_in(request)
    form = await posted_form(request, me.csrf)
    member = me.member(Permission.MANAGE_APPS)
    rt = runtime(request)
    try:
        notice = await form_use(rt, member, form)
    except InvalidRequest as exc:
        return await _detail(request, me, Flash(), 400, error=exc.detail, typed=form)
    await put_flash(request, me, Flash(notice))
    return redirect(f"/apps/{app_code(request)}")


async def add_ip(request: Request) -> Response:
    """Add an address or network to the allowlist."""
    code = app_code(request)

    async def use(rt: Any, member: Any, form: dict[str, str]) -> str:
        entry = form.get("entry", "").strip()
        if not entry:
            raise InvalidRequest("Enter an IP address or a CIDR range", field="entry")
        detail = await merchant_apps.app_detail(rt.ctx, rt.database, member, code)
        wanted = [*detail.app.allowed_ips, entry]
        await merchant_apps.set_allowed_ips(
            rt.ctx, rt.database, member, client_ip(request), code, wanted
        )
        return f"{entry} added to the allowlist."

    return await _change(request, use)


async def remove_ip(request: Request) -> Response:
    """Remove an entry from the allowlist."""
    code = app_code(request)

    async def use(rt: Any, member: Any, form: dict[str, str]) -> str:
        entry = form.get("entry", "")
        detail = await merchant_apps.app_detail(rt.ctx, rt.database, member, code)
        wanted = [ip for ip in detail.app.allowed_ips if ip != entry]
        await merchant_apps.set_allowed_ips(
            rt.ctx, rt.database, member, client_ip(request), code, wanted
        )
        return f"{entry} removed from the allowlist."

    return await _change(request, use)


async def set_products(request: Request) -> Response:
    """Enable the chosen products on the app."""
    code = app_code(request)

    async def use(rt: Any, member: Any, form: dict[str, str]) -> str:
        chosen = [p for p in PRODUCTS if form.get(f"product_{p}") == "on"]
        await merchant_apps.set_products(
            rt.ctx, rt.database, member, client_ip(request), code, chosen
        )
        return "Products saved."

    return await _change(request, use)


async def set_policy(request: Request) -> Response:
    """Choose how the app's refresh tokens behave."""
    code = app_code(request)

    async def use(rt: Any, member: Any, form: dict[str, str]) -> str:
        policy = form.get("policy", "")
        await merchant_apps.set_refresh_policy(
            rt.ctx, rt.database, member, client_ip(request), code, policy
        )
        return "Refresh policy saved."

    return await _change(request, use)


async def set_active(request: Request) -> Response:
    """Deactivate or reactivate the app."""
    code = app_code(request)

    async def use(rt: Any, member: Any, form: dict[str, str]) -> str:
        active = form.get("active") == "true"
        await merchant_apps.set_active(
            rt.ctx, rt.database, member, client_ip(request), code, active
        )
        return "App activated." if active else "App deactivated: its tokens get 403 for now."

    return await _change(request, use)


async def revoke(request: Request) -> Response:
    """End one live login of the app (or all of them): its tokens stop working at once."""
    code = app_code(request)

    async def use(rt: Any, member: Any, form: dict[str, str]) -> str:
        family = form.get("family_id") or None
        ended = await logins.revoke_logins(
            rt.ctx, rt.database, rt.logins, member, client_ip(request), code, family
        )
        return f"{ended} login{'' if ended == 1 else 's'} ended."

    return await _change(request, use)


async def rotate_page(request: Request) -> Response:
    """The form that rotates the app's secret, with an overlap."""
    me = await signed_in(request)
    me.member(Permission.MANAGE_APPS)
    return render(request, "app_rotate.html", viewer=me, nav="apps", code=app_code(request))


async def rotate(request: Request) -> Response:
    """Issue a new secret; the old one keeps working for the overlap."""
    me = await signed_in(request)
    form = await posted_form(request, me.csrf)
    member = me.member(Permission.MANAGE_APPS)
    rt = runtime(request)
    code = app_code(request)
    overlap = overlap_field(form)
    if overlap is None:
        return render(
            request, "app_rotate.html", 400, viewer=me, nav="apps", code=code, error=OVERLAP_ERROR
        )
    created = await merchant_apps.rotate_secret(
        rt.ctx, rt.database, member, client_ip(request), code, overlap
    )
    notice = "New secret issued." + (
        f" The old one keeps working for {overlap} seconds." if overlap else ""
    )
    await put_flash(request, me, Flash(notice, created.app_secret, f"app:{code}"))
    return redirect(f"/apps/{code}")


def routes(prefix: str) -> list[BaseRoute]:
    """This module's routes."""
    one = f"{prefix}/apps/{{app_code:int}}"
    return [
        Route(f"{prefix}/apps", app_list, methods=["GET"]),
        Route(f"{prefix}/apps/new", new_app_page, methods=["GET"]),
        Route(f"{prefix}/apps", create_app, methods=["POST"]),
        Route(one, app_page, methods=["GET"]),
        Route(f"{one}/allowed-ips", add_ip, methods=["POST"]),
        Route(f"{one}/allowed-ips/remove", remove_ip, methods=["POST"]),
        Route(f"{one}/products", set_products, methods=["POST"]),
        Route(f"{one}/refresh-policy", set_policy, methods=["POST"]),
        Route(f"{one}/active", set_active, methods=["POST"]),
        Route(f"{one}/logins/revoke", revoke, methods=["POST"]),
        Route(f"{one}/rotate", rotate_page, methods=["GET"]),
        Route(f"{one}/rotate", rotate, methods=["POST"]),
    ]
