"""The merchant API's webhook routes: `/api/v1/merchant/apps/{app_code}/webhook...`."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from jpay_server.api.deps import audit_ip, require_member, runtime
from jpay_server.api.openapi import merchant_errors as errors
from jpay_server.api.responses import JSONResponse
from jpay_server.api.routes.merchant_apps import app_body, iso
from jpay_server.api.routing import Routes
from jpay_server.api.schemas.merchant import AppOut, Results, Rotation, WebhookUrl
from jpay_server.api.schemas.queries import WebhookEventQuery
from jpay_server.domain.members import Member, Permission
from jpay_server.domain.webhooks import WebhookEvent
from jpay_server.services import merchant_webhooks as service
from jpay_server.services.merchant_webhooks import EventWithAttempts

routes = Routes(prefix="/merchant/apps/{app_code}", tag="merchant")
WRITE_ERRORS = errors(400, 401, 403, 404, 409, 413, 415, 429, 503)


def _event(event: WebhookEvent) -> dict[str, Any]:
    return {
        "id": event.id,
        "type": event.type,
        "url": event.url,
        "status": event.status.value,
        "attempts": event.attempts,
        "created_at": iso(event.created_at),
        "next_attempt_at": iso(event.next_attempt_at) if event.next_attempt_at else None,
        "delivered_at": iso(event.delivered_at) if event.delivered_at else None,
    }


def _with_attempts(found: EventWithAttempts) -> dict[str, Any]:
    return _event(found.event) | {
        "deliveries": [
            {
                "attempt": a.attempt,
                "time": iso(a.started_at),
                "status_code": a.status_code,
                "latency_ms": a.duration_ms,
                "error": a.error,
                "response_excerpt": a.response_excerpt,
            }
            for a in found.attempts
        ]
    }


@routes.put(
    "/webhook-url",
    response=AppOut,
    auth=require_member(Permission.MANAGE_APPS),
    body=WebhookUrl,
    errors=WRITE_ERRORS,
    summary="Set where the app's security events go",
    description="Security events (a refresh token reused) and test events are POSTed here, "
    "signed with the app's webhook secret; `null` sends them nowhere (they are still kept). "
    "Outside development the URL must be public https.",
)
async def set_webhook_url(
    request: Request, member: Member, app_code: int, body: WebhookUrl
) -> JSONResponse:
    rt = runtime(request)
    app = await service.set_webhook_url(
        rt.ctx, rt.database, member, audit_ip(request), app_code, body.webhook_url
    )
    return JSONResponse(app_body(app))


@routes.post(
    "/rotate-webhook-secret",
    response=dict[str, Any],
    auth=require_member(Permission.MANAGE_APPS),
    body=Rotation,
    errors=WRITE_ERRORS,
    summary="Rotate the app's webhook secret",
    description="A new `whsec_` secret, shown in this answer only. During `overlap_seconds` "
    "every webhook carries a signature by each secret.",
)
async def rotate_webhook_secret(
    request: Request, member: Member, app_code: int, body: Rotation
) -> JSONResponse:
    rt = runtime(request)
    rotated = await service.rotate_webhook_secret(
        rt.ctx, rt.database, member, audit_ip(request), app_code, body.overlap_seconds
    )
    return JSONResponse({"app_code": app_code, "webhook_secret": rotated.webhook_secret})


@routes.get(
    "/webhook-events",
    response=Results,
    auth=require_member(Permission.READ),
    query=WebhookEventQuery,
    errors=errors(400, 401, 403, 404, 429, 503),
    summary="The app's webhook events with every delivery attempt",
    description="Newest first: payment events (to each payment's callback_url), security and "
    "test events (to the app's webhook_url), each with its attempts: time, status, latency.",
)
async def webhook_events(
    request: Request,
    member: Member,
    app_code: int,
    q: WebhookEventQuery,
) -> JSONResponse:
    rt = runtime(request)
    found = await service.events(rt.ctx, rt.database, member, app_code, q.status, q.limit)
    return JSONResponse({"results": [_with_attempts(e) for e in found]})


@routes.post(
    "/webhook-events/{event_id}/redeliver",
    response=dict[str, Any],
    auth=require_member(Permission.MANAGE_APPS),
    errors=WRITE_ERRORS,
    summary="Deliver an event again now",
)
async def redeliver(request: Request, member: Member, app_code: int, event_id: str) -> JSONResponse:
    rt = runtime(request)
    event = await service.redeliver(
        rt.ctx, rt.database, member, audit_ip(request), app_code, event_id
    )
    return JSONResponse(_event(event))


@routes.post(
    "/webhook-events/test",
    response=dict[str, Any],
    status=202,
    auth=require_member(Permission.MANAGE_APPS),
    errors=WRITE_ERRORS,
    summary="Send a test event to the app's webhook_url",
    description="A signed `webhook.test` event, delivered like any other (409 "
    "`webhook_url_not_set` without a webhook_url).",
)
async def send_test_event(request: Request, member: Member, app_code: int) -> JSONResponse:
    rt = runtime(request)
    event = await service.send_test_event(rt.ctx, rt.database, member, audit_ip(request), app_code)
    return JSONResponse(_event(event), status_code=202)
