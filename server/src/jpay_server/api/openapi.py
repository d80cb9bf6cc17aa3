"""OpenAPI: error responses per route, the bearer scheme, and the document of the routes."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from typing import Annotated, Any

from fastapi import Header
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from jpay_server.api.query import parameters
from jpay_server.api.responses import JSONResponse
from jpay_server.api.routing import IDEMPOTENCY_KEY, IDEMPOTENCY_KEY_MAX, Operation
from jpay_server.api.schemas.common import ErrorBody

TITLE = "JPay API"
OPENAPI_URL = "/openapi.json"
BEARER: list[dict[str, list[str]]] = [{"bearerAuth": []}]
_CODES = {
    400: "Bad input. Codes: invalid_json, body_required, invalid_body, field_required, "
    "invalid_field, invalid_query_parameter.",
    401: "Not authenticated. Codes: not_authenticated, invalid_authorization_header, "
    "token_invalid, token_expired, token_revoked, refresh_token_reused, invalid_credentials.",
    403: "Authenticated but not allowed. Codes: ip_not_allowed, merchant_not_approved, "
    "account_suspended, app_inactive, product_not_enabled.",
    404: "Not found. Codes: not_found, app_not_found.",
    409: "Conflict with the current state. Codes: conflict.",
    413: "Request body too large. Code: request_too_large.",
    415: "Body is not application/json. Code: unsupported_media_type.",
    429: "Rate limited; see Retry-After. Code: rate_limited.",
    503: "A dependency is unavailable; retry. Code: service_unavailable.",
}


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The `responses=` declaration for a route's possible errors."""
    return {status: {"model": ErrorBody, "description": _CODES[status]} for status in statuses}


_MERCHANT_CODES = {
    403: "Not allowed. Codes: user_token_required (an app token was sent), permission_denied "
    "(the role may not), merchant_not_approved, account_suspended (changes while blocked), "
    "product_not_granted.",
    404: "Not found, or another merchant's. Codes: app_not_found, login_not_found, "
    "event_not_found.",
    409: "Conflict with the current state. Codes: webhook_url_not_set.",
}


def merchant_errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """`errors` for the merchant API's routes, whose 403s, 404s and 409s are their own."""
    declared = errors(*statuses)
    for status, description in _MERCHANT_CODES.items():
        if status in declared:
            declared[status] = {"model": ErrorBody, "description": description}
    return declared


def document(
    title: str,
    version: str,
    description: str,
    tags: list[dict[str, Any]],
    operations: Sequence[Operation],
) -> dict[str, Any]:
    """The OpenAPI document of `operations`, with the bearer scheme and no 422 responses.

    FastAPI's generator writes it, from one documentation-only `APIRoute` per operation
    (never routed), so the schemas, operation ids and parameters are as they always were.
    """
    schema = get_openapi(
        title=title,
        version=version,
        description=description,
        routes=[_documented(op) for op in operations],
        tags=tags,
    )
    for path in schema.get("paths", {}).values():
        for operation in path.values():
            operation.get("responses", {}).pop("422", None)
    components = schema.setdefault("components", {})
    for name in ("HTTPValidationError", "ValidationError"):
        components.get("schemas", {}).pop(name, None)
    components.setdefault("securitySchemes", {})["bearerAuth"] = {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "An access token from POST /api/v1/auth/app/token.",
    }
    return schema


_IDEMPOTENCY_KEY = Annotated[
    str | None,
    Header(
        alias=IDEMPOTENCY_KEY,
        max_length=IDEMPOTENCY_KEY_MAX,
        description="Our extension: the same key and body replay the first response for 24 h.",
    ),
]


def _documented(op: Operation) -> APIRoute:
    """An APIRoute that documents `op`: its signature names what the route reads."""
    keyword = inspect.Parameter.KEYWORD_ONLY
    signature = [inspect.Parameter(name, keyword, annotation=kind) for name, kind in op.path_types]
    if op.idempotency_key:
        signature.append(
            inspect.Parameter("idempotency_key", keyword, default=None, annotation=_IDEMPOTENCY_KEY)
        )
    if op.body is not None:
        signature.append(inspect.Parameter("body", keyword, annotation=op.body))

    def endpoint() -> None:  # pragma: no cover - documentation only, never called
        return None

    endpoint.__signature__ = inspect.Signature(signature)  # type: ignore[attr-defined]
    endpoint.__name__ = op.name
    endpoint.__doc__ = op.doc
    extra: dict[str, Any] = {"security": BEARER} if op.secured else {}
    if op.query is not None:
        extra |= parameters(op.query)
    return APIRoute(
        op.path,
        endpoint,
        methods=[op.method],
        response_model=op.response,
        status_code=op.status,
        tags=[op.tag] if op.tag else None,
        summary=op.summary,
        description=op.description,
        responses=op.errors,
        openapi_extra=extra or None,
        response_class=JSONResponse,
    )


def pages(document: Callable[[], dict[str, Any]]) -> list[Route]:
    """/openapi.json (`document()`, written at its first request), /docs and /redoc."""
    written: list[dict[str, Any]] = []

    async def openapi_json(_request: Request) -> Response:
        if not written:
            written.append(document())
        return JSONResponse(written[0])

    async def swagger(_request: Request) -> Response:
        return get_swagger_ui_html(
            openapi_url=OPENAPI_URL,
            title=f"{TITLE} - Swagger UI",
            oauth2_redirect_url="/docs/oauth2-redirect",
        )

    async def swagger_redirect(_request: Request) -> Response:
        return get_swagger_ui_oauth2_redirect_html()

    async def redoc(_request: Request) -> Response:
        return get_redoc_html(openapi_url=OPENAPI_URL, title=f"{TITLE} - ReDoc")

    return [
        Route(OPENAPI_URL, openapi_json),
        Route("/docs", swagger),
        Route("/docs/oauth2-redirect", swagger_redirect),
        Route("/redoc", redoc),
    ]
