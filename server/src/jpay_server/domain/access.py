"""The access decision: live merchant/app state checked on every request, in a fixed order.

Steps 1-3 (header, format, signature and claims) happen before; this module holds steps 4-7
of ARCHITECTURE.md: family and generation (401), allowlist (403), merchant and app state (403), and
the route's product (403). First failure wins.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from jpay_server.domain.allowlists import Allowlist, IPAddress
from jpay_server.domain.apps import RefreshPolicy
from jpay_server.domain.credentials import SecretRecord, is_live_generation
from jpay_server.domain.merchants import MerchantStatus
from jpay_server.errors import (
    account_suspended,
    app_inactive,
    invalid_authorization_header,
    ip_not_allowed,
    merchant_not_approved,
    not_authenticated,
    product_not_enabled,
    token_revoked,
)


@dataclass(frozen=True, slots=True)
class AppAccess:
    """Everything the access decision needs to know about one app, as of its last load."""

    app_code: int
    app_key: str
    merchant_id: int
    merchant_status: MerchantStatus
    active: bool
    products: frozenset[str]
    allowlist: Allowlist
    secrets: tuple[SecretRecord, ...]
    refresh_policy: RefreshPolicy
    webhook_url: str | None = None


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: the outcome of a successful access decision."""

    app_code: int
    merchant_id: int
    products: frozenset[str]
    family: str


def check_live_token(
    access: AppAccess, generation: int, family_revoked: bool, now: datetime
) -> None:
    """Step 4: the token's family is not revoked and its secret generation still stands."""
    if family_revoked or not is_live_generation(access.secrets, generation, now):
        raise token_revoked()


def check_caller(access: AppAccess, client_ip: IPAddress | None) -> None:
    """Steps 5 and 6: allowlist, then merchant and app state."""
    if not access.allowlist.allows(client_ip):
        raise ip_not_allowed()
    if access.merchant_status is MerchantStatus.SUSPENDED:
        raise account_suspended()
    if access.merchant_status is not MerchantStatus.APPROVED:
        raise merchant_not_approved()
    if not access.active:
        raise app_inactive()


def check_product(access: AppAccess, product: str | None) -> None:
    """Step 7: the route's product is enabled on the app now (not only in the token)."""
    if product is not None and product not in access.products:
        raise product_not_enabled(product)


MAX_AUTHORIZATION_CHARS = 4200
_B64TOKEN = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~+/=")


def bearer_token(headers: list[str]) -> str:
    """Steps 1 and 2: exactly one `Authorization: Bearer <token>` header (RFC 6750 §2.1).

    The scheme is case-insensitive (RFC 9110 §11.1); the token must be a b64token. Two
    Authorization headers are ambiguous and refused; tokens in the query string are ignored.
    """
    if not headers or (len(headers) == 1 and not headers[0].strip()):
        raise not_authenticated()
    if len(headers) > 1 or len(headers[0]) > MAX_AUTHORIZATION_CHARS:
        raise invalid_authorization_header()
    scheme, _, token = headers[0].strip().partition(" ")
    token = token.strip(" ")
    if scheme.lower() != "bearer" or not token or not _B64TOKEN.issuperset(token):
        raise invalid_authorization_header()
    return token
