"""Dashboard sign-in sessions: when one ends, and how its cookie maps to a stored row.

The browser holds a random token; the server stores only a keyed hash of it, so a copy of the
database cannot be replayed as a cookie. A session ends after `idle` without a request, or
at `absolute` after it began however busy it is, or when signed out.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

TOKEN_BYTES = 32
# Recording every page view would make each one a write; a minute of slack on a 30-minute
# idle end is invisible to the user (shorter idle ends get a tenth of themselves).
TOUCH_EVERY = timedelta(seconds=60)


class Stage(StrEnum):
    """How far sign-in has got: password checked and a second factor owed, or done."""

    MFA = "mfa"
    FULL = "full"


@dataclass(frozen=True, slots=True)
class DashboardSession:
    """One signed-in browser."""

    id: str
    user_id: int
    merchant_id: int
    user_epoch: int  # the user's token epoch at sign-in: a new epoch ends the session
    stage: Stage
    csrf_token: str
    client_ip: str
    user_agent: str
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    ended_at: datetime | None


@dataclass(frozen=True, slots=True)
class SessionPolicy:
    """The idle and absolute lifetimes (JPAY_DASHBOARD_IDLE_TIMEOUT, _ABSOLUTE_TIMEOUT)."""

    idle: timedelta
    absolute: timedelta

    def is_live(self, session: DashboardSession, now: datetime) -> bool:
        """True while the session has neither ended nor gone idle or past its absolute end."""
        return (
            session.ended_at is None
            and now < session.expires_at
            and now < session.last_seen_at + self.idle
        )

    def needs_touch(self, session: DashboardSession, now: datetime) -> bool:
        """True when the last-seen time is stale enough to be worth a write."""
        return now - session.last_seen_at >= min(TOUCH_EVERY, self.idle / 10)


def session_id(pepper: bytes, token: str) -> str:
    """The stored id of a cookie token: HMAC-SHA256 under the server pepper."""
    return hmac.new(pepper, b"dashboard-session:" + token.encode(), hashlib.sha256).hexdigest()


def seal_key(token: str) -> bytes:
    """The key that seals this session's one-time flash: only the cookie holder can open it."""
    return hashlib.sha256(b"jpay/dashboard-flash/v1:" + token.encode()).digest()
