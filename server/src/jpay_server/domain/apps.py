"""Apps: a merchant's API client, with products, an allowlist and a refresh policy."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from jpay_server.errors import InvalidRequest

PRODUCTS = ("collections", "payouts")
APP_CODE_MIN = 10_000_000
APP_CODE_SPAN = 90_000_000


class RefreshPolicy(StrEnum):
    """How refresh tokens behave for an app (ARCHITECTURE.md, Tokens)."""

    ROTATE = "rotate"
    REUSABLE = "reusable"


@dataclass(frozen=True, slots=True)
class App:
    """A merchant's app; its secret lives apart, as hashes only."""

    app_code: int
    merchant_id: int
    name: str
    app_key: str
    active: bool
    products: tuple[str, ...]
    allowed_ips: tuple[str, ...]
    refresh_policy: RefreshPolicy
    created_at: datetime
    webhook_url: str | None = None  # where security events go


def parse_products(values: Iterable[str]) -> tuple[str, ...]:
    """Validate product names; the result is sorted and free of duplicates."""
    products = set()
    for value in values:
        if value not in PRODUCTS:
            raise InvalidRequest(
                f"unknown product {value!r}; expected one of: {', '.join(PRODUCTS)}",
                field="product",
            )
        products.add(value)
    return tuple(sorted(products))


def parse_refresh_policy(value: str) -> RefreshPolicy:
    """Validate a refresh policy name."""
    try:
        return RefreshPolicy(value)
    except ValueError:
        raise InvalidRequest(
            f"unknown refresh policy {value!r}; expected 'rotate' or 'reusable'",
            field="refresh_policy",
        ) from None


def new_app_code(random_below: int) -> int:
    """An 8-digit public app code from a random number below APP_CODE_SPAN."""
    return APP_CODE_MIN + random_below % APP_CODE_SPAN
