"""Request-scoped helpers: the runtime, the client address, the access decision."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request

from jpay_server.domain import client_ip as client_ips
from jpay_server.domain.access import Principal, bearer_token
from jpay_server.domain.allowlists import IPAddress
from jpay_server.domain.members import Member, Permission
from jpay_server.domain.users import UserAccess
from jpay_server.errors import AuthenticationFailed, PermissionDenied
from jpay_server.services.access import authorize, authorize_member, authorize_user
from jpay_server.services.runtime import Runtime


def runtime(request: Request) -> Runtime:
    """The process runtime the app was started with."""
    rt: Runtime = request.app.state.runtime
    return rt


def client_ip(request: Request, rt: Runtime) -> IPAddress | None:
    """The caller's address; X-Forwarded-For only counts from JPAY_TRUSTED_PROXIES."""
    peer = request.client.host if request.client else None
    forwarded = request.headers.getlist("x-forwarded-for")
    return client_ips.resolve(peer, forwarded, rt.settings.trusted_proxies)


def audit_ip(request: Request) -> str | None:
    """The caller's address as the audit log keeps it (None if it cannot be told)."""
    found = client_ip(request, runtime(request))
    return str(found) if found is not None else None


async def authorized(request: Request, product: str | None) -> Principal:
    """The whole access decision for a request to a route needing `product`."""
    rt = runtime(request)
    token = bearer_token(request.headers.getlist("authorization"))
    ip = client_ip(request, rt)
    try:  # a plain try costs the success path nothing (a context manager would)
        return await authorize(rt.access, token, ip, product, rt.ctx.clock())
    except (AuthenticationFailed, PermissionDenied) as exc:
        codec = rt.access.codec  # the memo the refusal just filled names the app, unsigned
        app_code = codec.app_of(token) if codec is not None else None
        rt.refusals.note_error(app_code, exc, ip, request.url.path, rt.ctx.clock())
        raise


def require(product: str | None) -> Callable[[Request], Awaitable[Principal]]:
    """The access decision for an app route needing `product`, as a route's `auth`."""

    async def decide(request: Request) -> Principal:
        return await authorized(request, product)

    return decide


def require_member(permission: Permission) -> Callable[[Request], Awaitable[Member]]:
    """The access decision for a merchant route, as a route's `auth` giving the `Member`.

    Missing, bad, expired or revoked tokens: the same 401s as app routes. An app token:
    403 `user_token_required`. A role without `permission`: 403 `permission_denied`. Any
    permission but READ while the merchant is pending or suspended: 403
    `merchant_not_approved` / `account_suspended`. Decided in memory, like an app token.
    """

    async def dependency(request: Request) -> Member:
        rt = runtime(request)
        token = bearer_token(request.headers.getlist("authorization"))
        return await authorize_member(rt.access, token, permission, rt.ctx.clock())

    return dependency


async def current_user(request: Request) -> UserAccess:
    """A live merchant user token, whatever its role (the user's own account routes)."""
    rt = runtime(request)
    token = bearer_token(request.headers.getlist("authorization"))
    return await authorize_user(rt.access, token, rt.ctx.clock())
