"""Refused requests: what an app's caller got a 401 or 403 for, and the fix in words.

A record holds the time, the client IP, the path, the error's code and documented detail and
a hint; never a token, a secret, a header or a body, so the log can be shown to anyone on
the merchant's team.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

KEEP_PER_APP = 1000
MAX_PATH = 200

_HINTS = {
    "merchant_not_approved": "the merchant account is not approved yet: the operator must "
    "approve it before its apps can get or use tokens",
    "account_suspended": "the merchant account is suspended: contact the operator",
    "app_inactive": "this app is deactivated: activate it in the app's settings",
    "token_expired": "the access token expired: refresh it at /api/v1/auth/refresh, or get a "
    "new one with the app's key and secret",
    "token_revoked": "the token was revoked (its login was ended, or its secret was rotated "
    "and the overlap is over): get a new token with the current secret",
    "refresh_token_reused": "a refresh token was used a second time, so its login was ended: "
    "keep the new refresh token after every refresh (or set the refresh policy to reusable)",
    "invalid_credentials": "the app_secret does not match this app_key: after a rotation the "
    "old secret works only until its overlap ends",
    "token_invalid": "the token is not an access token this server accepts for this app: send "
    "the access token (not the refresh token) as 'Authorization: Bearer <token>'",
}


@dataclass(frozen=True, slots=True)
class Refusal:
    """One refused request of an app."""

    app_code: int
    time: datetime
    client_ip: str | None
    path: str
    code: str
    detail: str
    hint: str


def hint(code: str, detail: str, client_ip: str | None) -> str:
    """The fix for a refusal, in words a merchant can act on."""
    if code == "ip_not_allowed":
        if client_ip is None:
            return "the client address is unknown, and this app allows only listed addresses"
        return f"{client_ip} is not on this app's allowlist: add it if the request was yours"
    if code == "product_not_enabled":
        product = detail.rpartition(": ")[2]
        return f"this app does not have {product} enabled: enable it in the app's products"
    return _HINTS.get(code, "see this code in the API reference")


def refusal(
    app_code: int, now: datetime, client_ip: str | None, path: str, code: str, detail: str
) -> Refusal:
    """A record of one refused request, its path cut to MAX_PATH characters."""
    return Refusal(
        app_code, now, client_ip, path[:MAX_PATH], code, detail[:200], hint(code, detail, client_ip)
    )
