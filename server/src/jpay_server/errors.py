"""The one error tree of the server; `api/errors.py` maps it to HTTP, nothing else does.

    JPayError                      code, detail
    ├── InvalidRequest             bad input (400), optional `field`
    │   ├── UnsupportedMediaType   body is not JSON (415)
    │   └── RequestTooLarge        body over the configured limit (413)
    ├── AuthenticationFailed       no or bad credentials or token (401)
    │   └── MfaRequired            password right, second factor needed (401 + mfa_token)
    ├── PermissionDenied           authenticated but not allowed (403)
    ├── NotFound                   no such resource (404)
    ├── Conflict                   state conflict, e.g. idempotency key reuse (409)
    ├── RateLimited                too many requests (429), `retry_after` seconds
    └── ServiceUnavailable         a dependency is down (503)

`code` is the stable machine code; `detail` is JPay's documented string where the docs give one.
"""

from __future__ import annotations

INVALID_TOKEN = "Invalid or expired token"  # noqa: S105 - an error message
NOT_APPROVED = "Merchant not approved or app inactive"


class JPayError(Exception):
    """Root of every error the server reports to a caller."""

    default_code = "error"
    default_detail = "Request failed"

    def __init__(self, detail: str | None = None, *, code: str | None = None) -> None:
        self.detail = detail or self.default_detail
        self.code = code or self.default_code
        super().__init__(self.detail)


class InvalidRequest(JPayError):
    """The request is malformed or a field is invalid."""

    default_code = "invalid_request"
    default_detail = "Invalid request"

    def __init__(
        self, detail: str | None = None, *, code: str | None = None, field: str | None = None
    ) -> None:
        super().__init__(detail, code=code)
        self.field = field


class UnsupportedMediaType(InvalidRequest):
    """The request body is not `application/json`."""

    default_code = "unsupported_media_type"
    default_detail = "Content-Type must be application/json"


class RequestTooLarge(InvalidRequest):
    """The request body is larger than the server accepts."""

    default_code = "request_too_large"
    default_detail = "Request body too large"


class AuthenticationFailed(JPayError):
    """No credentials, or credentials or token that do not authenticate."""

    default_code = "token_invalid"
    default_detail = INVALID_TOKEN


class MfaRequired(AuthenticationFailed):
    """The password was right and a second factor is needed: finish at /auth/login/mfa."""

    default_code = "mfa_required"
    default_detail = "Two-factor authentication code required"

    def __init__(self, mfa_token: str) -> None:
        super().__init__()
        self.mfa_token = mfa_token


class PermissionDenied(JPayError):
    """The caller is authenticated but may not do this."""

    default_code = "permission_denied"
    default_detail = "Insufficient permissions"


class NotFound(JPayError):
    """The resource does not exist, or is not the caller's."""

    default_code = "not_found"
    default_detail = "Not found"


class Conflict(JPayError):
    """The request conflicts with the current state."""

    default_code = "conflict"
    default_detail = "Conflict"


class RateLimited(JPayError):
    """Too many requests; retry after `retry_after` seconds."""

    default_code = "rate_limited"
    default_detail = "Too many requests"

    def __init__(self, retry_after: int, detail: str | None = None) -> None:
        super().__init__(detail)
        self.retry_after = max(1, retry_after)


class ServiceUnavailable(JPayError):
    """A dependency (database, cache) cannot be reached right now."""

    default_code = "service_unavailable"
    default_detail = "Service temporarily unavailable"


# The 401s and 403s of the access decision (ARCHITECTURE.md), each distinguishable by `code`.


def not_authenticated() -> AuthenticationFailed:
    """No Authorization header at all."""
    return AuthenticationFailed(
        "Authentication credentials were not provided", code="not_authenticated"
    )


def invalid_authorization_header() -> AuthenticationFailed:
    """An Authorization header that is not `Bearer <jwt>`."""
    return AuthenticationFailed(
        "Malformed Authorization header: expected 'Bearer <token>'",
        code="invalid_authorization_header",
    )


def token_invalid() -> AuthenticationFailed:
    """A token whose signature, format or claims do not verify."""
    return AuthenticationFailed(INVALID_TOKEN, code="token_invalid")


def token_expired() -> AuthenticationFailed:
    """A well-signed token past its `exp`."""
    return AuthenticationFailed(INVALID_TOKEN, code="token_expired")


def token_revoked() -> AuthenticationFailed:
    """A token whose family was revoked or whose secret generation has ended."""
    return AuthenticationFailed(INVALID_TOKEN, code="token_revoked")


def refresh_token_reused() -> AuthenticationFailed:
    """A rotated refresh token presented again after the grace window."""
    return AuthenticationFailed(INVALID_TOKEN, code="refresh_token_reused")


def invalid_credentials() -> AuthenticationFailed:
    """An unknown app_key or a wrong app_secret (indistinguishable by design)."""
    return AuthenticationFailed("Invalid or missing credentials", code="invalid_credentials")


def ip_not_allowed() -> PermissionDenied:
    """The client IP is not on the app's allowlist."""
    return PermissionDenied("Access denied: IP address not allowed", code="ip_not_allowed")


def merchant_not_approved() -> PermissionDenied:
    """The merchant has not been approved yet."""
    return PermissionDenied(NOT_APPROVED, code="merchant_not_approved")


def app_inactive() -> PermissionDenied:
    """The app has been deactivated."""
    return PermissionDenied(NOT_APPROVED, code="app_inactive")


def account_suspended() -> PermissionDenied:
    """The merchant account is suspended."""
    return PermissionDenied("Merchant account is suspended", code="account_suspended")


def product_not_enabled(product: str) -> PermissionDenied:
    """The app lacks the product the route needs."""
    return PermissionDenied(
        f"App does not have the required product enabled: {product}", code="product_not_enabled"
    )


def product_not_granted(product: str) -> PermissionDenied:
    """A merchant's user asked to enable a product the operator has not granted."""
    return PermissionDenied(
        f"Product not granted to this merchant: {product}; ask the operator to grant it",
        code="product_not_granted",
    )


def invalid_query_parameter(name: str) -> InvalidRequest:
    """A query-string parameter that is malformed or out of range."""
    return InvalidRequest(
        f"Invalid query parameter: {name}", code="invalid_query_parameter", field=name
    )


def field_required(field: str) -> InvalidRequest:
    """A required body field is missing (JPay: "{field} field is required")."""
    return InvalidRequest(f"{field} field is required", code="field_required", field=field)


# Merchant users (the second way in): login, roles, links.


def user_token_required() -> PermissionDenied:
    """An app token on a route for merchant users."""
    return PermissionDenied(
        "This route needs a merchant user's token, not an app token", code="user_token_required"
    )


def app_token_required() -> PermissionDenied:
    """A merchant user's token on a route for apps."""
    return PermissionDenied(
        "This route needs an app token, not a merchant user's token", code="app_token_required"
    )


def permission_denied() -> PermissionDenied:
    """The user's role does not allow this (DRF's standard string)."""
    return PermissionDenied(
        "You do not have permission to perform this action.", code="permission_denied"
    )


def mfa_enrolment_required() -> PermissionDenied:
    """The merchant requires a second factor and this user has none yet."""
    return PermissionDenied(
        "Your team requires two-factor authentication: enrol it first",
        code="mfa_enrolment_required",
    )


def email_not_verified() -> PermissionDenied:
    """Right password, but the address was never confirmed (told only to its owner)."""
    return PermissionDenied(
        "Confirm your email address first: follow the link we sent", code="email_not_verified"
    )


def invalid_mfa_code() -> AuthenticationFailed:
    """A wrong, reused or expired TOTP or recovery code."""
    return AuthenticationFailed("Invalid authentication code", code="invalid_mfa_code")


def invalid_link() -> InvalidRequest:
    """An emailed token that is unknown, used or expired (which one is not said)."""
    return InvalidRequest("This link is invalid or has expired", code="invalid_link", field="token")
