"""The one place where errors become HTTP responses."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.applications import Starlette
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request

from jpay_server import errors as e
from jpay_server.api.responses import JSONResponse

log = logging.getLogger(__name__)

STATUS: dict[type[e.JPayError], int] = {
    e.UnsupportedMediaType: 415,
    e.RequestTooLarge: 413,
    e.InvalidRequest: 400,
    e.AuthenticationFailed: 401,
    e.PermissionDenied: 403,
    e.NotFound: 404,
    e.Conflict: 409,
    e.RateLimited: 429,
    e.ServiceUnavailable: 503,
}
_HTTP_CODES = {404: ("Not found.", "not_found"), 405: ("Method not allowed.", "method_not_allowed")}
# Fields whose every malformation has one documented message (JPay error-codes page).
_DOCUMENTED_FIELD_ERRORS = {
    "amount": ("Invalid amount", "invalid_amount"),
    "payfrom": ("Invalid phone number", "invalid_phone_number"),
}
_BEARER_ERRORS = {
    "invalid_authorization_header": "invalid_request",
    "token_invalid": "invalid_token",
    "token_expired": "invalid_token",
    "token_revoked": "invalid_token",
    "refresh_token_reused": "invalid_token",
}


def status_of(exc: e.JPayError) -> int:
    """The HTTP status of an error: the first class in its MRO that has one."""
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 500


def error_body(exc: e.JPayError) -> dict[str, Any]:
    """JPay's `{"detail": ...}` plus our stable `code` (and `field` for bad input)."""
    body: dict[str, Any] = {"detail": exc.detail, "code": exc.code}
    if isinstance(exc, e.InvalidRequest) and exc.field:
        body["field"] = exc.field
    if isinstance(exc, e.MfaRequired):
        body["mfa_token"] = exc.mfa_token
    return body


def error_headers(exc: e.JPayError) -> dict[str, str]:
    """Headers an error must carry: WWW-Authenticate on 401 (RFC 6750 §3), Retry-After."""
    headers: dict[str, str] = {}
    if isinstance(exc, e.AuthenticationFailed):
        challenge = 'Bearer realm="jpay"'
        bearer_error = _BEARER_ERRORS.get(exc.code)
        if bearer_error:
            challenge += f', error="{bearer_error}", error_description="{exc.detail}"'
        headers["WWW-Authenticate"] = challenge
    elif isinstance(exc, e.RateLimited):
        headers["Retry-After"] = str(exc.retry_after)
    elif isinstance(exc, e.ServiceUnavailable):
        headers["Retry-After"] = "1"
    return headers


def error_response(exc: e.JPayError) -> JSONResponse:
    """The response for one of our errors."""
    return JSONResponse(error_body(exc), status_of(exc), headers=error_headers(exc))


def invalid_input(error: dict[str, Any]) -> e.InvalidRequest:
    """The documented 400 for one pydantic error whose `loc` starts with where the input
    was: "body", "path", "query" or "header" (api/routing.py)."""
    kind, loc = error["type"], tuple(error["loc"])
    field = ".".join(str(part) for part in loc[1:]) or None
    if kind == "json_invalid":
        return e.InvalidRequest("JSON parse error", code="invalid_json")
    if loc[0] == "query":
        return e.invalid_query_parameter(str(field))
    if field is None:
        if kind == "missing":
            return e.InvalidRequest("Request body is required", code="body_required")
        return e.InvalidRequest("Request body must be a JSON object", code="invalid_body")
    if kind == "missing":
        return e.field_required(field)
    if field in _DOCUMENTED_FIELD_ERRORS:
        detail, code = _DOCUMENTED_FIELD_ERRORS[field]
        return e.InvalidRequest(detail, code=code, field=field)
    return _field_error(kind, field, error.get("ctx") or {})


def _field_error(kind: str, field: str, ctx: dict[str, Any]) -> e.InvalidRequest:
    if kind == "string_type":
        detail = f"{field} must be a string"
    elif kind in ("int_type", "int_parsing"):
        detail = f"{field} must be an integer"
    elif kind == "string_too_long":
        detail = f"{field} is too long (at most {ctx.get('max_length')} characters)"
    elif kind == "string_too_short":
        detail = f"{field} must not be empty"
    else:
        detail = f"Invalid {field}"
    return e.InvalidRequest(detail, code="invalid_field", field=field)


async def _on_jpay_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, e.JPayError)
    return error_response(exc)


async def _on_http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    detail, code = _HTTP_CODES.get(exc.status_code, (str(exc.detail), "http_error"))
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        headers["Allow"] = _allowed_methods(request)
    return JSONResponse({"detail": detail, "code": code}, exc.status_code, headers=headers)


def _allowed_methods(request: Request) -> str:
    """Every method the path's route template serves (RFC 9110 §15.5.6).

    Starlette's own Allow names only the first route whose path matches, which is wrong when
    one path has a route per method (GET and POST /merchant/users). Where a literal template
    and a parameter template both match (`/checkouts/initiate`, `/checkouts/{checkout_id}`),
    the path is the literal one's, as OpenAPI documents it.
    """
    path = request.scope.get("path", "")
    by_template: dict[int, set[str]] = {}
    for route in request.app.routes:
        regex = getattr(route, "path_regex", None)
        if regex is not None and regex.match(path) and getattr(route, "methods", None):
            parameters = len(getattr(route, "param_convertors", ()))
            by_template.setdefault(parameters, set()).update(route.methods)
    return ", ".join(sorted(by_template[min(by_template)])) if by_template else ""


async def _on_database_error(_request: Request, exc: Exception) -> JSONResponse:
    log.error("database error: %s", type(exc).__name__)
    return error_response(e.ServiceUnavailable())


# SQLSTATE classes of a database that dropped or refused us: 08 connection exception,
# 57 operator intervention (57P01 admin shutdown, 57P03 "the database system is starting up").
_UNREACHABLE_SQLSTATE_CLASSES = ("08", "57")


def database_unreachable(exc: DBAPIError) -> bool:
    """True if the driver error means the database went away (a restart), not a bug."""
    if exc.connection_invalidated:
        return True
    sqlstate = getattr(exc.orig, "sqlstate", None)
    return isinstance(sqlstate, str) and sqlstate[:2] in _UNREACHABLE_SQLSTATE_CLASSES


async def _on_driver_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DBAPIError)
    if database_unreachable(exc):
        return await _on_database_error(request, exc)
    raise exc  # a bug: RequestContext answers the 500


def internal_error_response() -> JSONResponse:
    """The 500 for an unexpected exception: no internals (it is logged, redacted, instead).

    Sent by the outermost middleware (api/middleware/request_context.py), so that it carries
    the request id like every other answer.
    """
    return JSONResponse({"detail": "Internal server error", "code": "internal_error"}, 500)


def install(app: Starlette) -> None:
    """Register every exception handler on the app."""
    # Anything else propagates to RequestContext, which answers the 500.
    app.add_exception_handler(e.JPayError, _on_jpay_error)
    app.add_exception_handler(StarletteHTTPException, _on_http_error)
    # Only a database that cannot be reached is a 503; an integrity error is a bug (500).
    # TimeoutError: a statement or connect past JPAY_DATABASE_TIMEOUT (asyncpg raises it bare).
    for unreachable in (
        OperationalError,
        InterfaceError,
        PoolTimeout,
        ConnectionError,
        TimeoutError,
    ):
        app.add_exception_handler(unreachable, _on_database_error)
    # PostgreSQL restarting: asyncpg's errors arrive as plain DBAPIErrors; judge each one.
    app.add_exception_handler(DBAPIError, _on_driver_error)
