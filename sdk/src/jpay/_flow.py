"""The one request flow both clients share: tokens, renewal and resend, retries, typed errors.

Written once as generators, after httpx's `Auth.auth_flow`: a flow yields what it needs done
and the client's driver (sync in `JPay`, async in `AsyncJPay`) does it and sends back the
result. A flow yields

- an `httpx.Request`: the driver sends it and sends back the response, or throws the
  `httpx.TransportError` it raised into the flow;
- `Wait(seconds)`: the driver sleeps before the flow retries;
- `Renew(rejected)`: the driver gets a fresh token pair under its locks (single flight, see
  `_auth`), running the `renewal` flow if it must, and sends back the pair.

So the drivers only do I/O and locking, and everything else is decided here, once.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx

from jpay._auth import REFRESH_PATH, TOKEN_PATH, Tokens, TokenState, refresh_body, renewable
from jpay._call import Call, json_content
from jpay._config import USER_AGENT, Config
from jpay._errors import APIConnectionError, APIError, AuthenticationError, error_from_response
from jpay._secret import Secret

log = logging.getLogger("jpay")

T = TypeVar("T")


@dataclass(frozen=True)
class Wait:
    """Sleep this long before the next attempt."""

    seconds: float


@dataclass(frozen=True)
class Renew:
    """Send back a fresh pair whose access token is not `rejected`."""

    rejected: Secret | None


Step = httpx.Request | Wait | Renew
# What the driver sends back: a Response (for a Request), None (for a Wait), Tokens (Renew).
Flow = Generator[Step, Any, T]
BuildRequest = Callable[..., httpx.Request]


class Flows:
    """The flows of one client: its settings, its tokens, and its httpx client's `build_request`."""

    def __init__(self, config: Config, tokens: TokenState, build_request: BuildRequest) -> None:
        self._config = config
        self._tokens = tokens
        self._build_request = build_request

    def call(self, call: Call[T]) -> Flow[T]:
        """Send `call` until it succeeds or fails for good; return its parsed answer."""
        response = yield from self.exchange(call)
        return _read(call, response)

    def exchange(self, call: Call[Any]) -> Flow[httpx.Response]:
        """The successful response to `call`, after renewals and retries; else a JPayError."""
        key, attempt, renewed, rejected = _idempotency_key(call), 0, False, None
        while True:
            pair = (yield from self._pair(rejected)) if call.authenticated else None
            request = self._request(call, pair, key)
            try:
                response: httpx.Response = yield request
            except httpx.TransportError as exc:
                delay = self._config.retry.after_error(attempt, exc)
                if delay is None:
                    raise _connection_error(exc) from exc
                _log_retry(call, attempt, delay, type(exc).__name__)
            else:
                if pair is not None and not renewed and renewable(response):
                    # The token went stale under us: renew once, resend.
                    renewed, rejected = True, pair.access
                    continue
                if response.is_success:
                    return response
                delay = self._config.retry.after_response(attempt, response)
                if delay is None:
                    raise error_from_response(response)
                _log_retry(call, attempt, delay, f"answered {response.status_code}")
            yield Wait(delay)
            attempt += 1

    def renewal(self, tokens: Tokens | None) -> Flow[Tokens]:
        """A new pair: refresh `tokens` if the refresh token is usable, else log in afresh."""
        if tokens is not None and tokens.refresh_usable(self._tokens.clock()):
            try:
                pair = yield from self._token_call(REFRESH_PATH, refresh_body(tokens), tokens)
            except AuthenticationError as exc:
                log.info("jpay: refresh token refused (%s); logging in again", exc.code)
            else:
                log.debug("jpay: tokens refreshed")
                return pair
        pair = yield from self._token_call(TOKEN_PATH, self._tokens.credentials.login_body(), None)
        log.debug("jpay: logged in with the app key")
        return pair

    def _token_call(
        self, path: str, body: dict[str, object], previous: Tokens | None
    ) -> Flow[Tokens]:
        sent_at = self._tokens.clock()
        call: Call[None] = Call("POST", path, lambda _: None, body=body, authenticated=False)
        response = yield from self.exchange(call)
        return self._tokens.parse(response, sent_at, previous)

    def _pair(self, rejected: Secret | None) -> Flow[Tokens]:
        pair = self._tokens.fast(rejected)
        if pair is None:  # stale, rejected or none yet: the driver renews it under its locks
            pair = yield Renew(rejected)
        return pair

    def _request(self, call: Call[Any], pair: Tokens | None, key: str | None) -> httpx.Request:
        """The HTTP request of one attempt."""
        headers = httpx.Headers({"Accept": "application/json", "User-Agent": USER_AGENT})
        if pair is not None:
            headers["Authorization"] = "Bearer " + pair.access.reveal()
        if key is not None:
            headers["Idempotency-Key"] = key
        body = call.body
        if body is not None:
            headers["Content-Type"] = "application/json"
            if call.app_scoped and body.get("app_code") is None:
                body = {**body, "app_code": _app_code(pair)}
        timeout = self._config.timeout
        return self._build_request(
            call.method,
            self._config.base_url + call.path,
            params=dict(call.params) if call.params else None,
            content=json_content(body) if body is not None else None,
            headers=headers,
            timeout=timeout if timeout is not None else httpx.USE_CLIENT_DEFAULT,
        )


def _app_code(pair: Tokens | None) -> int:
    code = pair.app_code if pair is not None else None
    if code is None:
        raise APIError("The token response named no app_code", code="invalid_response")
    return code


def _idempotency_key(call: Call[Any]) -> str | None:
    # Every API POST gets a key, the same for all attempts of the call: that is what makes
    # retrying it safe. Token calls need none (see _retry).
    if call.idempotency_key is not None:
        return call.idempotency_key
    return str(uuid.uuid4()) if call.method == "POST" and call.authenticated else None


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


def _connection_error(exc: httpx.TransportError) -> APIConnectionError:
    kind = "timed out" if isinstance(exc, httpx.TimeoutException) else "failed"
    return APIConnectionError(
        f"Connection to the JPay API {kind} ({type(exc).__name__})", code="connection_error"
    )


def _log_retry(call: Call[Any], attempt: int, delay: float, reason: str) -> None:
    log.info(
        "jpay: %s %s %s; retry %d in %.2fs", call.method, call.path, reason, attempt + 1, delay
    )
