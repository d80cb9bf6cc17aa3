"""Webhooks: each app's URL and signing secret, its events with every attempt, redelivery."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from jpay_server.domain.members import Permission
from jpay_server.errors import Conflict, InvalidRequest
from jpay_server.services import merchant_apps, merchant_webhooks
from jpay_server.web.forms import OVERLAP_ERROR, overlap_field
from jpay_server.web.pages.base import (
    Flash,
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

EVENTS_SHOWN = 50


async def webhook_apps(request: Request) -> Response:
    """The apps, each leading to its webhook settings and events."""
    me = await signed_in(request)
    rt = runtime(request)
    found = await merchant_apps.list_apps(rt.ctx, rt.database, me.member(Permission.READ))
    return render(request, "webhooks.html", viewer=me, nav="webhooks", apps=found)


async def webhook_app(request: Request) -> Response:
    """One app's webhook URL, secret rotation, test event and event log."""
    me = await signed_in(request)
    member = me.member(Permission.READ)
    rt = runtime(request)
    code = app_code(request)
    detail = await merchant_apps.app_detail(rt.ctx, rt.database, member, code)
    events = await merchant_webhooks.events(rt.ctx, rt.database, member, code, None, EVENTS_SHOWN)
    flash = await take_flash(request, me)
    secret = flash.secret if flash.about == f"webhook:{code}" else None
    return render(
        request,
        "webhook_app.html",
        viewer=me,
        nav="webhooks",
        app=detail.app,
        events=events,
        notice=flash.notice,
        error=flash.secret if flash.about == "error" else None,
        new_secret=secret,
    )


async def set_url(request: Request) -> Response:
    """Set (or clear) where the app's security and test events go."""
    me = await signed_in(request)
    form = await posted_form(request, me.csrf)
    member = me.member(Permission.MANAGE_APPS)
    rt = runtime(request)
    code = app_code(request)
    url = form.get("url", "").strip() or None
    try:
        await merchant_webhooks.set_webhook_url(
            rt.ctx, rt.database, member, client_ip(request), code, url
        )
    except InvalidRequest as exc:
        await put_flash(request, me, Flash(None, exc.detail, "error"))
        return redirect(f"/webhooks/{code}")
    await put_flash(request, me, Flash("Webhook URL saved." if url else "Webhook URL removed."))
    return redirect(f"/webhooks/{code}")


async def rotate_secret(request: Request) -> Response:
    """A new webhook signing secret, shown once; both sign during the overlap."""
    me = await signed_in(request)
    form = await posted_form(request, me.csrf)
    member = me.member(Permission.MANAGE_APPS)
    rt = runtime(request)
    code = app_code(request)
    overlap = overlap_field(form)
    if overlap is None:
        await put_flash(request, me, Flash(None, OVERLAP_ERROR, "error"))
        return redirect(f"/webhooks/{code}")
    created = await merchant_webhooks.rotate_webhook_secret(
        rt.ctx, rt.database, member, client_ip(request), code, overlap
    )
    flash = Flash("New webhook secret issued.", created.webhook_secret, f"webhook:{code}")
    await put_flash(request, me, flash)
    return redirect(f"/webhooks/{code}")


async def send_test(request: Request) -> Response:
    """Queue a signed test event to the app's webhook URL."""
    me = await signed_in(request)
    await posted_form(request, me.csrf)
    member = me.member(Permission.MANAGE_APPS)
    rt = runtime(request)
    code = app_code(request)
    try:
        await merchant_webhooks.send_test_event(
            rt.ctx, rt.database, member, client_ip(request), code
        )
    except Conflict as exc:
        await put_flash(request, me, Flash(None, exc.detail, "error"))
        return redirect(f"/webhooks/{code}")
    await put_flash(request, me, Flash("Test event queued: it appears below within seconds."))
    return redirect(f"/webhooks/{code}")


async def redeliver(request: Request) -> Response:
    """Deliver one event again now."""
    me = await signed_in(request)
    form = await posted_form(request, me.csrf)
    member = me.member(Permission.MANAGE_APPS)
    rt = runtime(request)
    code = app_code(request)
    await merchant_webhooks.redeliver(
        rt.ctx, rt.database, member, client_ip(request), code, form.get("event_id", "")
    )
    await put_flash(request, me, Flash("Redelivery queued."))
    return redirect(f"/webhooks/{code}")


def routes(prefix: str) -> list[BaseRoute]:
    """This module's routes."""
    one = f"{prefix}/webhooks/{{app_code:int}}"
    return [
        Route(f"{prefix}/webhooks", webhook_apps, methods=["GET"]),
        Route(one, webhook_app, methods=["GET"]),
        Route(f"{one}/url", set_url, methods=["POST"]),
        Route(f"{one}/rotate", rotate_secret, methods=["POST"]),
        Route(f"{one}/test", send_test, methods=["POST"]),
        Route(f"{one}/redeliver", redeliver, methods=["POST"]),
    ]
