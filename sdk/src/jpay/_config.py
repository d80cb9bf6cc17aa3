"""What both clients are made of: where the API is, whose credentials, timeouts, retries, store."""

from __future__ import annotations

import hashlib
import os
from typing import Literal

import httpx

from jpay._auth import Credentials
from jpay._errors import JPayError
from jpay._retry import RetryPolicy
from jpay._secret import Secret
from jpay._store import MemoryTokenStore, TokenStore
from jpay._version import __version__

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
LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=100)
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


class Config:
    """The settings of one client, resolved from its arguments and the environment."""

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
