"""Service errors as pages: each kind of failure to a status, never a stack trace."""

from __future__ import annotations

from jpay_server.errors import (
    AuthenticationFailed,
    Conflict,
    InvalidRequest,
    JPayError,
    NotFound,
    PermissionDenied,
    RateLimited,
    ServiceUnavailable,
)

_STATUS: tuple[tuple[type[JPayError], int], ...] = (
    (InvalidRequest, 400),
    (AuthenticationFailed, 401),
    (PermissionDenied, 403),
    (NotFound, 404),
    (Conflict, 409),
    (RateLimited, 429),
    (ServiceUnavailable, 503),
)


def status_of(error: JPayError) -> int:
    """The HTTP status a page answers with for this error."""
    for kind, status in _STATUS:
        if isinstance(error, kind):
            return status
    return 500
