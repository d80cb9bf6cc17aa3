"""OpenAPI declarations: error responses per route, the bearer scheme, no FastAPI 422s."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from jpay_server.api.schemas.common import ErrorBody

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


def install(app: FastAPI) -> None:
    """Replace app.openapi with one that adds the bearer scheme and drops 422 responses."""

    def build() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
                tags=app.openapi_tags,
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
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = build  # type: ignore[method-assign]
