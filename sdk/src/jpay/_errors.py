"""The exceptions the SDK raises, one per kind of failure the server reports.

```
JPayError                      anything the SDK raises; .status .code .detail .request_id
├── APIConnectionError         no response: refused, reset, timed out (after retries)
├── InvalidRequestError        400 (and 413, 415): bad input; .field names it
├── AuthenticationError        401: credentials or tokens refused (after re-login)
├── PermissionDeniedError      403: ip_not_allowed, account_suspended, product_not_enabled, ...
├── NotFoundError              404
├── ConflictError              409: duplicate_ref_no, idempotency_key_reused
├── RateLimitError             429: .retry_after in seconds
├── APIError                   5xx, or a response the SDK cannot read
└── WebhookVerificationError   a webhook's signature or timestamp does not check out
```

Messages are built from the server's `code` and `detail` only: never from request headers or
bodies, so no token or secret can end up in a log line or a traceback.
"""

from __future__ import annotations

import email.utils
import json
from datetime import UTC, datetime
from typing import Any

import httpx


class JPayError(Exception):
    """Base class of every error the SDK raises."""

    def __init__(
        self,
        detail: str,
        *,
        status: int | None = None,
        code: str | None = None,
        request_id: str | None = None,
    ) -> None:
        self.detail = detail
        self.status = status
        self.code = code
        self.request_id = request_id
        super().__init__(self._message())

    def _message(self) -> str:
        parts = [str(self.status)] if self.status is not None else []
        if self.code:
            parts.append(self.code)
        head = " ".join(parts)
        message = f"{head}: {self.detail}" if head else self.detail
        if self.request_id:
            message += f" (request id {self.request_id})"
        return message

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(status={self.status!r}, code={self.code!r}, "
            f"detail={self.detail!r}, request_id={self.request_id!r})"
        )


class APIConnectionError(JPayError):
    """The server could not be reached, or the connection broke, on every attempt."""


class InvalidRequestError(JPayError):
    """The server refused the input (400); `field` names the offending field if known."""

    def __init__(
        self,
        detail: str,
        *,
        status: int | None = 400,
        code: str | None = None,
        request_id: str | None = None,
        field: str | None = None,
    ) -> None:
        self.field = field
        super().__init__(detail, status=status, code=code, request_id=request_id)


class AuthenticationError(JPayError):
    """Credentials or tokens were refused (401), even after logging in afresh."""


class PermissionDeniedError(JPayError):
    """The app may not do this (403); `code` says why, e.g. `account_suspended`."""


class NotFoundError(JPayError):
    """The resource does not exist for this app (404)."""


class ConflictError(JPayError):
    """The request conflicts with an earlier one (409), e.g. a duplicate `ref_no`."""


class RateLimitError(JPayError):
    """Too many requests (429); `retry_after` is how many seconds the server asked to wait."""

    def __init__(
        self,
        detail: str,
        *,
        status: int | None = 429,
        code: str | None = None,
        request_id: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        self.retry_after = retry_after
        super().__init__(detail, status=status, code=code, request_id=request_id)


class APIError(JPayError):
    """The server failed (5xx), or answered with something the SDK cannot read."""


class WebhookVerificationError(JPayError):
    """A webhook failed verification: missing headers, bad signature or stale timestamp."""


_BY_STATUS: dict[int, type[JPayError]] = {
    400: InvalidRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    413: InvalidRequestError,
    415: InvalidRequestError,
    422: InvalidRequestError,
    429: RateLimitError,
}


def error_body(response: httpx.Response) -> dict[str, Any]:
    """The JSON error body `{"detail", "code", "field"?}`, or {} if there is none."""
    try:
        body = json.loads(response.content)
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def retry_after(response: httpx.Response, now: datetime | None = None) -> float | None:
    """The `Retry-After` header in seconds (delta-seconds or an HTTP date), if present."""
    value = response.headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def error_from_response(response: httpx.Response) -> JPayError:
    """The typed exception for an error response."""
    body = error_body(response)
    # Only the documented string members are used: a proxy's error page could echo headers.
    detail = body.get("detail")
    if not isinstance(detail, str):
        detail = response.reason_phrase or f"HTTP {response.status_code}"
    code = body.get("code") if isinstance(body.get("code"), str) else None
    request_id = response.headers.get("x-request-id")
    status = response.status_code
    cls = _BY_STATUS.get(status, APIError)
    if cls is InvalidRequestError:
        field = body.get("field") if isinstance(body.get("field"), str) else None
        return InvalidRequestError(
            detail, status=status, code=code, request_id=request_id, field=field
        )
    if cls is RateLimitError:
        return RateLimitError(
            detail,
            status=status,
            code=code,
            request_id=request_id,
            retry_after=retry_after(response),
        )
    return cls(detail, status=status, code=code, request_id=request_id)
