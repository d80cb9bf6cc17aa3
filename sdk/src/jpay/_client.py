"""The clients: the public constructors, and the drivers that run the shared flow (`_flow`)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import TypeVar

import httpx

from jpay._auth import AsyncTokenManager, TokenManager, Tokens
from jpay._call import Call
from jpay._config import LIMITS, Config, Environment
from jpay._flow import Flow, Flows, Wait
from jpay._resources.channels import AsyncChannels, Channels
from jpay._resources.collections import AsyncCollections, Collections
from jpay._resources.payouts import AsyncPayouts, Payouts
from jpay._resources.wallets import AsyncWallets, Wallets
from jpay._retry import DEFAULT_MAX_RETRIES
from jpay._store import TokenStore

T = TypeVar("T")


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
        self._config = Config(
            app_key, app_secret, environment, base_url, timeout, max_retries, token_store
        )
        self._owns_http = http_client is None
        self._http = http_client or httpx.Client(
            timeout=self._config.timeout_for(True), limits=LIMITS
        )
        self._retry = self._config.retry
        self._sleep: Callable[[float], None] = time.sleep
        self._auth = TokenManager(
            self._config.credentials, self._config.token_store, self._config.store_key, self._renew
        )
        self._flows = Flows(self._config, self._auth, self._http.build_request)
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

    def _request(self, call: Call[T]) -> T:
        return self._run(self._flows.call(call))

    def _renew(self, tokens: Tokens | None) -> Tokens:
        return self._run(self._flows.renewal(tokens))

    def _run(self, flow: Flow[T]) -> T:
        """Drive a flow: send its requests, sleep its waits, renew its tokens."""
        try:
            step = next(flow)
            while True:
                if isinstance(step, httpx.Request):
                    try:
                        response = self._http.send(step)
                    except httpx.TransportError as exc:
                        step = flow.throw(exc)
                    else:
                        step = flow.send(response)
                elif isinstance(step, Wait):
                    self._sleep(step.seconds)
                    step = flow.send(None)
                else:
                    step = flow.send(self._auth.current(step.rejected))
        except StopIteration as done:
            result: T = done.value
            return result
        finally:
            flow.close()


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
        self._config = Config(
            app_key, app_secret, environment, base_url, timeout, max_retries, token_store
        )
        self._owns_http = http_client is None
        self._http = http_client or httpx.AsyncClient(
            timeout=self._config.timeout_for(True), limits=LIMITS
        )
        self._retry = self._config.retry
        self._sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
        self._auth = AsyncTokenManager(
            self._config.credentials, self._config.token_store, self._config.store_key, self._renew
        )
        self._flows = Flows(self._config, self._auth, self._http.build_request)
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

    async def _request(self, call: Call[T]) -> T:
        return await self._run(self._flows.call(call))

    async def _renew(self, tokens: Tokens | None) -> Tokens:
        return await self._run(self._flows.renewal(tokens))

    async def _run(self, flow: Flow[T]) -> T:
        """Drive a flow: send its requests, sleep its waits, renew its tokens."""
        try:
            step = next(flow)
            while True:
                if isinstance(step, httpx.Request):
                    try:
                        response = await self._http.send(step)
                    except httpx.TransportError as exc:
                        step = flow.throw(exc)
                    else:
                        step = flow.send(response)
                elif isinstance(step, Wait):
                    await self._sleep(step.seconds)
                    step = flow.send(None)
                else:
                    step = flow.send(await self._auth.current(step.rejected))
        except StopIteration as done:
            result: T = done.value
            return result
        finally:
            flow.close()
