"""Refresh-token families: absolute ends, rotation and the grace window for lost responses."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum


class LostRace(Enum):
    """What a refresh token that was already used amounts to."""

    REPLAY = "replay"  # a repeat inside the grace window: answer with the same successor pair
    REUSE = "reuse"  # anything else: treat as theft and revoke the family


def family_end(started_at: datetime, refresh_lifetime: int) -> datetime:
    """A family ends a fixed time after it starts; rotation never extends it."""
    return started_at + timedelta(seconds=refresh_lifetime)


def expiry(now: datetime, lifetime: int, family_ends_at: datetime) -> datetime:
    """When a token issued now expires: its lifetime, capped by the family's end."""
    return min(now + timedelta(seconds=lifetime), family_ends_at)


def classify_used(used_at: datetime, successor_used: bool, now: datetime, grace: int) -> LostRace:
    """A used token is a replay only within `grace` seconds and while its successor is unused.

    Once the successor has been used the legitimate client has moved on, so a late copy of
    the parent can only come from someone else (RFC 9700 §4.14.2).
    """
    if not successor_used and now - used_at <= timedelta(seconds=grace):
        return LostRace.REPLAY
    return LostRace.REUSE


@dataclass(frozen=True, slots=True)
class Family:
    """The chain of refresh tokens started by one successful /auth/app/token."""

    id: str
    app_code: int
    epoch: int
    started_at: datetime
    ends_at: datetime
    revoked_at: datetime | None


@dataclass(frozen=True, slots=True)
class StoredRefresh:
    """A refresh token as the server remembers it: by id, never by its text."""

    jti: str
    family_id: str
    parent_jti: str | None
    access_jti: str
    kid: str
    issued_at: datetime
    expires_at: datetime
    used_at: datetime | None
    use_count: int
    successor_jti: str | None
