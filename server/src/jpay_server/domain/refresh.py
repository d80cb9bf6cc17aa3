"""Refresh-token families: absolute ends, rotation and the grace window for lost responses."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum


class SecondUse(Enum):
    """What presenting a refresh token a second time amounts to."""

    REPLAY = "replay"  # a repeat inside the grace window: answer with the same successor pair
    THEFT = "theft"  # anything else: a stolen copy; revoke the family


def family_end(started_at: datetime, refresh_lifetime: int) -> datetime:
    """A family ends a fixed time after it starts; rotation never extends it."""
    return started_at + timedelta(seconds=refresh_lifetime)


def expiry(now: datetime, lifetime: int, family_ends_at: datetime) -> datetime:
    """When a token issued now expires: its lifetime, capped by the family's end."""
    return min(now + timedelta(seconds=lifetime), family_ends_at)


def classify_used(used_at: datetime, successor_used: bool, now: datetime, grace: int) -> SecondUse:
    """A used token is a replay only within `grace` seconds and while its successor is unused.

    Once the successor has been used the legitimate client has moved on, so a late copy of
    the parent can only come from someone else (RFC 9700 §4.14.2).
    """
    if not successor_used and now - used_at <= timedelta(seconds=grace):
        return SecondUse.REPLAY
    return SecondUse.THEFT


@dataclass(frozen=True, slots=True)
class Successor:
    """The pair a rotation handed out, by ids: re-encoding it gives the same tokens."""

    jti: str
    access_jti: str
    issued_at: datetime
    kid: str


# The use count recorded for a token used under the `rotate` policy: spent for good, whatever
# the policy later becomes (a switch to `reusable` applies from the switch on).
SPENT = 0


@dataclass(frozen=True, slots=True)
class RefreshUse:
    """A refresh token that has been presented: by id, never by its text.

    Unused refresh tokens are not stored at all: everything about them (app, family, generation,
    the family's absolute end) is in their signed claims. What must be remembered is which
    ones were used, what replaced them (for the grace window), and which families are revoked.
    """

    jti: str
    family_id: str
    app_code: int
    used_at: datetime
    use_count: int
    successor: Successor | None
