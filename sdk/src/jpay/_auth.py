"""The token lifecycle: log in on first use, refresh before expiry, log in again when refused.

**Whose clock.** A token's `exp` is a time on the *server's* clock. The client never compares
it with its own clock directly: when a token arrives it estimates the offset between the two
clocks (`skew`), from the token's `iat` (or, failing that, the response's `Date` header), and
judges freshness by `local clock + skew`. The estimate is an upper bound: the server issued
the token at or after `iat` and no earlier than the request was sent, so
`skew = iat + 1 - sent_at` can only make the client refresh a little early, never late. A
host whose clock is an hour off still refreshes on time.

**When.** The access token is renewed once less than `min(60 s, lifetime / 10)` of it is
left, and a request is never sent with a token past that point. A 401 `token_expired`,
`token_revoked` or `token_invalid` on a token the client thought good (the server moved its
clock, or revoked the family) renews it once and the request is retried.

**How.** A renewal refreshes with the refresh token; if the server refuses it (expired,
already used, reused, revoked), or the client knows it has expired, it logs in afresh with the
app key and secret. The rotated refresh token is always kept (the docs' sample forgets it).
Those exchanges are written once, in `_flow`; this module holds the pair and the locks.

**Single flight.** Renewals run under a lock (a `threading.Lock`, or an `asyncio.Lock`),
then under the token store's lock, and re-check inside both: however many threads or tasks
find the token stale at once, one of them renews and the others use its result. The store is
re-read inside its lock, so processes sharing a `FileTokenStore` share one pair too.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import email.utils
import json
import math
import threading
import time
from collections.abc import Awaitable, Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any

import httpx

from jpay._errors import APIError
from jpay._secret import Secret
from jpay._store import TokenStore

TOKEN_PATH = "/auth/app/token"  # noqa: S105 - a path
REFRESH_PATH = "/auth/refresh"
# 401 codes meaning "this access token is no good any more; a new one may be".
RENEWABLE_CODES = frozenset({"token_expired", "token_revoked", "token_invalid"})
MAX_EARLY_REFRESH = 60.0  # seconds before expiry, at most
REFRESH_TOKEN_MARGIN = 5.0  # a refresh token this close to its end is not worth sending

Clock = Callable[[], float]
# Renew a pair (None: there is none yet) by refreshing it or logging in; the clients drive it.
Renew = Callable[["Tokens | None"], "Tokens"]
AsyncRenew = Callable[["Tokens | None"], Awaitable["Tokens"]]


@dataclass(frozen=True)
class Credentials:
    """An app's key (a public identifier) and secret."""

    app_key: str
    app_secret: Secret

    def login_body(self) -> dict[str, object]:
        """The /auth/app/token body (the secret revealed only when serialised)."""
        return {"app_key": self.app_key, "app_secret": self.app_secret}


@dataclass(frozen=True)
class Tokens:
    """A token pair and what the client knows about it; times are on the server's clock."""

    access: Secret
    refresh: Secret
    access_expires_at: float
    refresh_expires_at: float
    early: float  # renew this many seconds before the access token expires
    skew: float  # server clock minus local clock (an upper bound)
    app_code: int | None = None
    merchant_id: int | None = None
    products: tuple[str, ...] = field(default=())

    def server_now(self, local_now: float) -> float:
        """The server's time now, as estimated when the pair arrived."""
        return local_now + self.skew

    def access_fresh(self, local_now: float) -> bool:
        """True while the access token may be sent."""
        return self.server_now(local_now) < self.access_expires_at - self.early

    def refresh_usable(self, local_now: float) -> bool:
        """True while the refresh token is worth sending."""
        return self.server_now(local_now) < self.refresh_expires_at - REFRESH_TOKEN_MARGIN

    def dumps(self) -> str:
        """Serialise for a token store."""
        return json.dumps(
            {
                "access": self.access.reveal(),
                "refresh": self.refresh.reveal(),
                "access_expires_at": self.access_expires_at,
                "refresh_expires_at": _finite(self.refresh_expires_at),
                "early": self.early,
                "skew": self.skew,
                "app_code": self.app_code,
                "merchant_id": self.merchant_id,
                "products": list(self.products),
            }
        )

    @classmethod
    def loads(cls, text: str) -> Tokens | None:
        """Deserialise what `dumps` wrote; None if unreadable (then the client logs in)."""
        try:
            data = json.loads(text)
            refresh_end = data["refresh_expires_at"]
            return cls(
                access=Secret(str(data["access"])),
                refresh=Secret(str(data["refresh"])),
                access_expires_at=float(data["access_expires_at"]),
                refresh_expires_at=math.inf if refresh_end is None else float(refresh_end),
                early=float(data["early"]),
                skew=float(data["skew"]),
                app_code=data.get("app_code"),
                merchant_id=data.get("merchant_id"),
                products=tuple(data.get("products") or ()),
            )
        except (ValueError, KeyError, TypeError):
            return None


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


def jwt_claims(token: str) -> dict[str, Any]:
    """The claims of a JWT, read without verifying it (only the server can, and does)."""
    try:
        segment = token.split(".")[1]
        data = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    except (IndexError, ValueError, binascii.Error):
        return {}
    return data if isinstance(data, dict) else {}


def _int_claim(claims: dict[str, Any], name: str) -> int | None:
    value = claims.get(name)
    return value if type(value) is int else None


def _date_header(response: httpx.Response) -> float | None:
    value = response.headers.get("date")
    if value is None:
        return None
    try:
        return email.utils.parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError):
        return None


def tokens_from_response(
    response: httpx.Response, sent_at: float, previous: Tokens | None = None
) -> Tokens:
    """Read a token response; `sent_at` is the local time the request was sent."""
    data = response.json()
    access, refresh = data["access"], data["refresh"]
    if not isinstance(access, str) or not isinstance(refresh, str):
        raise TypeError("tokens must be strings")
    claims, refresh_claims = jwt_claims(access), jwt_claims(refresh)
    issued = _int_claim(claims, "iat")
    server_then = issued if issued is not None else _date_header(response)
    if server_then is None:  # nothing from the server's clock: fall back to ours
        server_then, skew = sent_at, 0.0
    else:
        # Whole seconds: the server's time was in [server_then, server_then + 1).
        skew = server_then + 1 - sent_at
    expires = _int_claim(claims, "exp")
    access_end = float(expires) if expires is not None else server_then + float(data["expires_in"])
    refresh_exp = _int_claim(refresh_claims, "exp")
    lifetime = max(access_end - server_then, 0.0)
    return Tokens(
        access=Secret(access),
        refresh=Secret(refresh),
        access_expires_at=access_end,
        refresh_expires_at=float(refresh_exp) if refresh_exp is not None else math.inf,
        early=min(MAX_EARLY_REFRESH, lifetime / 10),
        skew=skew,
        app_code=_app_code(data, claims, previous),
        merchant_id=_known(data.get("merchant_id"), previous.merchant_id if previous else None),
        products=tuple(data.get("products") or (previous.products if previous else ())),
    )


def _known(value: Any, fallback: int | None) -> int | None:
    return value if type(value) is int else fallback


def _app_code(data: dict[str, Any], claims: dict[str, Any], previous: Tokens | None) -> int | None:
    # /auth/refresh answers without app_code; the access token's claim and the pair it
    # replaces still know it.
    code = _known(data.get("app_code"), _int_claim(claims, "app_code"))
    return code if code is not None else (previous.app_code if previous else None)


def renewable(response: httpx.Response) -> bool:
    """True for a 401 saying the access token is stale (as opposed to, e.g., missing)."""
    if response.status_code != 401:
        return False
    try:
        code = response.json().get("code")
    except (ValueError, AttributeError):
        return False
    return code in RENEWABLE_CODES


def _usable(tokens: Tokens | None, rejected: Secret | None, now: float) -> bool:
    return (
        tokens is not None
        and (rejected is None or tokens.access != rejected)
        and tokens.access_fresh(now)
    )


def _unreadable(exc: Exception) -> APIError:
    return APIError(f"Unreadable token response ({type(exc).__name__})", code="invalid_response")


class TokenState:
    """What the sync and async managers share: credentials, store, clock, current pair."""

    def __init__(self, credentials: Credentials, store: TokenStore, key: str, clock: Clock) -> None:
        self.credentials = credentials
        self._store = store
        self._key = key
        self.clock = clock
        self._tokens: Tokens | None = None

    @property
    def tokens(self) -> Tokens | None:
        """The pair in use (None before the first call)."""
        return self._tokens

    def fast(self, rejected: Secret | None) -> Tokens | None:
        """The pair in use if it may be sent and is not `rejected`; no lock, no I/O."""
        tokens = self._tokens
        return tokens if _usable(tokens, rejected, self.clock()) else None

    def _latest(self) -> Tokens | None:
        """Inside the store lock: the newest pair (another process may have renewed it)."""
        text = self._store.load(self._key)
        stored = Tokens.loads(text) if text is not None else None
        return stored or self._tokens

    def _settle(self, rejected: Secret | None) -> Tokens | None:
        """Inside both locks: adopt the stored pair if usable, else None (renew it then)."""
        latest = self._latest()
        if latest is not None and _usable(latest, rejected, self.clock()):
            self._tokens = latest
            return latest
        return None

    def _keep(self, tokens: Tokens) -> Tokens:
        self._store.save(self._key, tokens.dumps())
        self._tokens = tokens
        return tokens

    def parse(self, response: httpx.Response, sent_at: float, previous: Tokens | None) -> Tokens:
        """The pair a token response carries; APIError `invalid_response` if unreadable."""
        try:
            return tokens_from_response(response, sent_at, previous)
        except (ValueError, KeyError, TypeError) as exc:
            raise _unreadable(exc) from None

    def __repr__(self) -> str:
        return f"{type(self).__name__}(app_key={self.credentials.app_key!r}, tokens=<redacted>)"


class TokenManager(TokenState):
    """Tokens for the sync client; safe to share between threads."""

    def __init__(
        self,
        credentials: Credentials,
        store: TokenStore,
        key: str,
        renew: Renew,
        clock: Clock = time.time,
    ) -> None:
        super().__init__(credentials, store, key, clock)
        self._renew = renew
        self._lock = threading.Lock()

    def current(self, rejected: Secret | None = None) -> Tokens:
        """A pair whose access token is fresh and is not `rejected` (renewing if need be)."""
        tokens = self.fast(rejected)
        if tokens is not None:
            return tokens
        with self._lock:
            tokens = self.fast(rejected)
            if tokens is not None:
                return tokens
            with self._store.lock(self._key):
                return self._settle(rejected) or self._keep(self._renew(self._latest()))


class AsyncTokenManager(TokenState):
    """Tokens for the async client; safe to share between tasks of one event loop."""

    def __init__(
        self,
        credentials: Credentials,
        store: TokenStore,
        key: str,
        renew: AsyncRenew,
        clock: Clock = time.time,
    ) -> None:
        super().__init__(credentials, store, key, clock)
        self._renew = renew
        self._lock = asyncio.Lock()

    async def current(self, rejected: Secret | None = None) -> Tokens:
        """A pair whose access token is fresh and is not `rejected` (renewing if need be)."""
        tokens = self.fast(rejected)
        if tokens is not None:
            return tokens
        async with self._lock:
            tokens = self.fast(rejected)
            if tokens is not None:
                return tokens
            store_lock = self._store.lock(self._key)
            await _acquire(store_lock)
            try:
                settled = self._settle(rejected)
                return settled or self._keep(await self._renew(self._latest()))
            finally:
                store_lock.__exit__(None, None, None)


def refresh_body(tokens: Tokens) -> dict[str, object]:
    """The /auth/refresh body (its token revealed only when serialised)."""
    return {"refresh": tokens.refresh}


async def _acquire(lock: AbstractContextManager[object]) -> None:
    """Enter a blocking (threading or file) lock without blocking the event loop."""
    entering = asyncio.ensure_future(asyncio.to_thread(lock.__enter__))
    try:
        await asyncio.shield(entering)
    except asyncio.CancelledError:
        # The thread may still get the lock after we are cancelled: release it then.
        entering.add_done_callback(lambda done: _release_if_entered(lock, done))
        raise


def _release_if_entered(lock: AbstractContextManager[object], done: asyncio.Future[Any]) -> None:
    if not done.cancelled() and done.exception() is None:
        lock.__exit__(None, None, None)
