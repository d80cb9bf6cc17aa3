"""The clients: configuration, and the one request loop (tokens, retries, typed errors)."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import time
import uuid
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Any, Literal, TypeVar

import httpx

from jpay._auth import AsyncTokenManager, Credentials, TokenManager, renewable
from jpay._call import Call
from jpay._errors import APIConnectionError, APIError, JPayError, error_from_response
from jpay._resources.channels import AsyncChannels, Channels
from jpay._resources.collections import AsyncCollections, Collections
from jpay._resources.payouts import AsyncPayouts, Payouts
from jpay._resources.wallets import AsyncWallets, Wallets
from jpay._retry import DEFAULT_MAX_RETRIES, RetryPolicy
from jpay._secret import Secret
from jpay._store import MemoryTokenStore, TokenStore
from jpay._version import __version__

log = logging.getLogger("jpay")

T = TypeVar("T")
Environment = Literal["sandbox", "production"]
ENVIRONMENTS: dict[str, str] = {
    "sandbox": "https://sandbox.api.jpay.africa/api/v1",
    "production": "https://api.jpay.africa/api/v1",
}
API_PREFIX = "/api/v1"
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
# Keep every connection the client may open alive: httpx keeps 20 of its 100, so a burst of
# more than 20 calls closed and reopened connections, and a dropped SYN under load held a
# request (its token already attached) a second or more.
_LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=100)
USER_AGENT = f"jpay-python/{__version__}"


def resolve_base_url(base_url: str | None, environment: Environment | None) -> str:
    """`base_url=`, else `environment=`, else JPAY_BASE_URL, else the sandbox."""
    if base_url is None and environment is not None:
        if environment not in ENVIRONMENTS:
            raise ValueError(f"environment must be 'sandbox' or 'production', not {environment!r}")
        return ENVIRONMENTS[environment]
    url = (base_url or os.environ.get("JPAY_BASE_URL") or ENVIRONMENTS["sandbox"]).rstrip("/")
    parsed = httpx.URL(url)
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise ValueError(
            "base_url must be an http(s) URL, e.g. https://sandbox.api.jpay.africa/api/v1"
        )
    # A bare host ("http://127.0.0.1:8000") means the API at its documented prefix.
    return url + API_PREFIX if parsed.path in ("", "/") else url


def resolve_credentials(app_key: str | None, app_secret: str | None) -> Credentials:
    """The arguments, else JPAY_APP_KEY and JPAY_APP_SECRET."""
    key = app_key if app_key is not None else os.environ.get("JPAY_APP_KEY")
    secret = app_secret if app_secret is not None else os.environ.get("JPAY_APP_SECRET")
    if not key or not secret:
        raise JPayError(
            "No app credentials: pass app_key= and app_secret=, or set JPAY_APP_KEY and "
            "JPAY_APP_SECRET",
            code="missing_credentials",
        )
    return Credentials(key, Secret(secret))


def store_key(base_url: str, app_key: str) -> str:
    """The token store key of one app on one server (no credential in clear)."""
    return hashlib.sha256(f"{base_url}\n{app_key}".encode()).hexdigest()[:32]


def _connection_error(exc: httpx.TransportError) -> APIConnectionError:
    kind = "timed out" if isinstance(exc, httpx.TimeoutException) else "failed"
    return APIConnectionError(
        f"Connection to the JPay API {kind} ({type(exc).__name__})", code="connection_error"
    )


def _read(call: Call[T], response: httpx.Response) -> T:
    try:
        return call.parse(response.json())
    except (ValueError, KeyError, TypeError, ArithmeticError) as exc:
        raise APIError(
            f"Unexpected response from {call.method} {call.path} ({type(exc).__name__})",
            status=response.status_code,
            code="invalid_response",
            request_id=response.headers.get("x-request-id"),
        ) from None


class _Config:
    """What both clients are made of: where, who, how long, how many retries, which store."""

    def __init__(
        self,
        app_key: str | None,
        app_secret: str | None,
        environment: Environment | None,
        base_url: str | None,
        timeout: float | httpx.Timeout | None,
        max_retries: int,
        token_store: TokenStore | None,
    ) -> None:
        self.base_url = resolve_base_url(base_url, environment)
        self.credentials = resolve_credentials(app_key, app_secret)
        self.timeout = timeout
        self.retry = RetryPolicy(max_retries=max_retries)
        self.token_store: TokenStore = (
            token_store if token_store is not None else MemoryTokenStore()
        )
        self.store_key = store_key(self.base_url, self.credentials.app_key)

    def timeout_for(self, own_client: bool) -> float | httpx.Timeout | None:
        """The timeout of a client we create; an injected client keeps its own unless given."""
        if self.timeout is not None:
            return self.timeout
        return DEFAULT_TIMEOUT if own_client else None

    def request(
        self,
        http: httpx.Client | httpx.AsyncClient,
        call: Call[Any],
        access: Secret | None,
        key: str | None,
    ) -> httpx.Request:
        """Build the HTTP request of one attempt."""
        headers = httpx.Headers({"Accept": "application/json", "User-Agent": USER_AGENT})
        if access is not None:
            headers["Authorization"] = "Bearer " + access.reveal()
        if key is not None:
            headers["Idempotency-Key"] = key
        if call.body is not None:
            headers["Content-Type"] = "application/json"
        return http.build_request(
            call.method,
            self.base_url + call.path,
            params=dict(call.params) if call.params else None,
            content=call.body.reveal().encode() if call.body is not None else None,
            headers=headers,
            timeout=self.timeout if self.timeout is not None else httpx.USE_CLIENT_DEFAULT,
        )


def _idempotency_key(call: Call[Any]) -> str | None:
    # Every API POST gets a key, the same for all attempts of the call: that is what makes
    # retrying it safe. Token calls need none (see _retry).
    if call.idempotency_key is not None:
        return call.idempotency_key
    return str(uuid.uuid4()) if call.method == "POST" and call.authenticated else None


def _log_retry(call: Call[Any], attempt: int, delay: float, reason: str) -> None:
    log.info(
        "jpay: %s %s %s; retry %d in %.2fs", call.method, call.path, reason, attempt + 1, delay
    )


class JPay:
    """The JPay API client (sync). Thread-safe; use it as a context manager or `close()` it.

    Credentials come from the arguments or from JPAY_APP_KEY / JPAY_APP_SECRET; the server
    from `base_url=`, `environment=` ("sandbox" or "production"), JPAY_BASE_URL, or the
    sandbox. Tokens are obtained, refreshed and renewed by the client.
    """

    def __init__(
        self,
        app_key: str | None = None,
        app_secret: str | None = None,
        *,
        environment: Environment | None = None,
        base_url: str | None = None,
        timeout: float | httpx.Timeout | None = None,
        max_retries: int = DEFAULT_MAX_RETRIES,
        http_client: httpx.Client | None = None,
        token_store: TokenStore | None = None,
    ) -> None:
        self._config = _Config(
            app_key, app_secret, environment, base_url, timeout, max_retries, token_store
        )
        self._owns_http = http_client is None
        self._http = http_client or httpx.Client(
            timeout=self._config.timeout_for(True), limits=_LIMITS
        )
        self._retry = self._config.retry
        self._sleep: Callable[[float], None] = time.sleep
        self._auth = TokenManager(
            self._config.credentials,
            self._config.token_store,
            self._config.store_key,
            self._send_token_call,
        )
        self.collections = Collections(self)
        self.payouts = Payouts(self)
        self.wallets = Wallets(self)
        self.channels = Channels(self)

    @property
    def base_url(self) -> str:
        """The API root every path is appended to, e.g. https://sandbox.api.jpay.africa/api/v1."""
        return self._config.base_url

    def close(self) -> None:
        """Close the HTTP client, unless it was injected (then its owner closes it)."""
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> JPay:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"JPay(base_url={self.base_url!r})"

    def _app_code(self) -> int:
        code = self._auth.current().app_code
        if code is None:
            raise APIError("The token response named no app_code", code="invalid_response")
        return code

    def _send_token_call(self, path: str, body: Secret) -> httpx.Response:
        call: Call[None] = Call("POST", path, lambda _: None, body=body, authenticated=False)
        return self._send(call)

    def _request(self, call: Call[T]) -> T:
        return _read(call, self._send(call))

    def _send(self, call: Call[Any]) -> httpx.Response:
        key, attempt, renewed = _idempotency_key(call), 0, False
        while True:
            access = self._auth.current().access if call.authenticated else None
            request = self._config.request(self._http, call, access, key)
            try:
                response = self._http.send(request)
            except httpx.TransportError as exc:
                delay = self._retry.after_error(attempt, exc)
                if delay is None:
                    raise _connection_error(exc) from exc
                _log_retry(call, attempt, delay, type(exc).__name__)
            else:
                if access is not None and not renewed and renewable(response):
                    renewed = True  # the token went stale under us: renew once, resend
                    self._auth.current(rejected=access)
                    continue
                if response.is_success:
                    return response
                delay = self._retry.after_response(attempt, response)
                if delay is None:
                    raise error_from_response(response)
                _log_retry(call, attempt, delay, f"answered {response.status_code}")
            self._sleep(delay)
            attempt += 1


class AsyncJPay:
    """The JPay API client (async): `JPay` with `await`. Safe to share between tasks."""

    def __init__(
        self,
        app_key: str | None = None,
        app_secret: str | None = None,
        *,
        environment: Environment | None = None,
        base_url: str | None = None,
        timeout: float | httpx.Timeout | None = None,
        max_retries: int = DEFAULT_MAX_RETRIES,
        http_client: httpx.AsyncClient | None = None,
        token_store: TokenStore | None = None,
    ) -> None:
        self._config = _Config(
            app_key, app_secret, environment, base_url, timeout, max_retries, token_store
        )
        self._owns_http = http_client is None
        self._http = http_client or httpx.AsyncClient(
            timeout=self._config.timeout_for(True), limits=_LIMITS
        )
        self._retry = self._config.retry
        self._sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
        self._auth = AsyncTokenManager(
            self._config.credentials,
            self._config.token_store,
            self._config.store_key,
            self._send_token_call,
        )
        self.collections = AsyncCollections(self)
        self.payouts = AsyncPayouts(self)
        self.wallets = AsyncWallets(self)
        self.channels = AsyncChannels(self)

    @property
    def base_url(self) -> str:
        """The API root every path is appended to, e.g. https://sandbox.api.jpay.africa/api/v1."""
        return self._config.base_url

    async def aclose(self) -> None:
        """Close the HTTP client, unless it was injected (then its owner closes it)."""
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> AsyncJPay:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        return f"AsyncJPay(base_url={self.base_url!r})"

    async def _app_code(self) -> int:
        code = (await self._auth.current()).app_code
        if code is None:
            raise APIError("The token response named no app_code", code="invalid_response")
        return code

    async def _send_token_call(self, path: str, body: Secret) -> httpx.Response:
        call: Call[None] = Call("POST", path, lambda _: None, body=body, authenticated=False)
        return await self._send(call)

    async def _request(self, call: Call[T]) -> T:
        return _read(call, await self._send(call))

    async def _send(self, call: Call[Any]) -> httpx.Response:
        key, attempt, renewed = _idempotency_key(call), 0, False
        while True:
            access = (await self._auth.current()).access if call.authenticated else None
            request = self._config.request(self._http, call, access, key)
            try:
                response = await self._http.send(request)
            except httpx.TransportError as exc:
                delay = self._retry.after_error(attempt, exc)
                if delay is None:
                    raise _connection_error(exc) from exc
                _log_retry(call, attempt, delay, type(exc).__name__)
            else:
                if access is not None and not renewed and renewable(response):
                    renewed = True  # the token went stale under us: renew once, resend
                    await self._auth.current(rejected=access)
                    continue
                if response.is_success:
                    return response
                delay = self._retry.after_response(attempt, response)
                if delay is None:
                    raise error_from_response(response)
                _log_retry(call, attempt, delay, f"answered {response.status_code}")
            await self._sleep(delay)
            attempt += 1
