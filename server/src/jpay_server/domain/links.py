"""Emailed single-use tokens: what each is for, how long it lives, how it is kept.

A link token is 256 random bits; the database keeps only its HMAC under the server pepper
(like an app secret), so a database dump opens no account. Each is used at most once.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from urllib.parse import urlencode

from jpay_server.domain.members import Role

LINK_PREFIX = "jpay_lt_"
TOKEN_BYTES = 32


class LinkPurpose(StrEnum):
    """What an emailed token lets its holder do, and (below) for how long."""

    VERIFY_EMAIL = "verify_email"
    RESET_PASSWORD = "reset_password"  # noqa: S105 - a purpose, not a password
    INVITE = "invite"


LIFETIMES = {
    LinkPurpose.VERIFY_EMAIL: timedelta(hours=24),
    LinkPurpose.RESET_PASSWORD: timedelta(minutes=30),
    LinkPurpose.INVITE: timedelta(days=7),
}
# The dashboard's pages that finish each flow; each posts the token to the API.
PAGES = {
    LinkPurpose.VERIFY_EMAIL: "/dashboard/verify-email",
    LinkPurpose.RESET_PASSWORD: "/dashboard/reset-password",
    LinkPurpose.INVITE: "/dashboard/accept-invite",
}


@dataclass(frozen=True, slots=True)
class LinkToken:
    """A stored link token (its digest) and what it grants."""

    digest: bytes
    purpose: LinkPurpose
    merchant_id: int
    user_id: int | None
    email: str
    role: Role | None
    created_by: int | None
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None = None

    def __repr__(self) -> str:
        return f"LinkToken({self.purpose}, merchant_id={self.merchant_id})"

    def usable(self, purpose: LinkPurpose, now: datetime) -> bool:
        """True if it is for `purpose`, unused and unexpired."""
        return self.purpose is purpose and self.used_at is None and now < self.expires_at


def new_link_token(rand: Callable[[int], bytes]) -> str:
    """A fresh token with a recognisable prefix."""
    return LINK_PREFIX + base64.urlsafe_b64encode(rand(TOKEN_BYTES)).rstrip(b"=").decode()


def link_digest(pepper: bytes, token: str) -> bytes:
    """What is stored and looked up: HMAC-SHA256 under the server pepper."""
    return hmac.new(pepper, b"jpay/link/" + token.encode(), hashlib.sha256).digest()


def link_url(base_url: str, purpose: LinkPurpose, token: str) -> str:
    """The emailed link: the dashboard page, with the token as `token=`."""
    return f"{base_url.rstrip('/')}{PAGES[purpose]}?{urlencode({'token': token})}"
