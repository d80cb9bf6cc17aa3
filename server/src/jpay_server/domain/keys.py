"""Token signing keys: a keyring where the newest key signs and any unexpired key verifies."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from jwt import PyJWK

from jpay_server.domain.randomness import TokenBytes

ALGORITHM = "HS256"
KEY_BYTES = 32  # RFC 7518 §3.2: an HS256 key must be at least 256 bits.


@dataclass(frozen=True, slots=True)
class SigningKey:
    """One HMAC key, used with exactly one algorithm (RFC 8725 §3.1)."""

    kid: str
    secret: bytes = field(repr=False)
    created_at: datetime
    algorithm: str = ALGORITHM


def new_signing_key(rand: TokenBytes, now: datetime) -> SigningKey:
    """A fresh 256-bit key with a random id."""
    return SigningKey(kid=rand(8).hex(), secret=rand(KEY_BYTES), created_at=now)


def _ordered(keys: Sequence[SigningKey]) -> list[SigningKey]:
    # Oldest first; the kid breaks ties so every process agrees on the order.
    return sorted(keys, key=lambda k: (k.created_at, k.kid))


def _signing(ordered: Sequence[SigningKey], moment: datetime, delay: timedelta) -> SigningKey:
    ready = [k for k in ordered if k.created_at <= moment - delay]
    return ready[-1] if ready else ordered[0]


def key_status(
    key: SigningKey, keys: Sequence[SigningKey], now: datetime, horizon: int, delay: float
) -> str:
    """signing; pending (too new to sign yet); verifying (its tokens may live); or expired."""
    ordered = _ordered(keys)
    position = [k.kid for k in ordered].index(key.kid)
    signing = [k.kid for k in ordered].index(_signing(ordered, now, timedelta(seconds=delay)).kid)
    if position == signing:
        return "signing"
    if position > signing:
        return "pending"
    ends = key_expiry(key, keys, horizon, delay)
    return "verifying" if ends is not None and ends > now else "expired"


def key_expiry(
    key: SigningKey, keys: Sequence[SigningKey], horizon: int, delay: float
) -> datetime | None:
    """When `key` stops verifying: the horizon after a newer key took over signing from it.

    None for the newest key, which has no successor and so no end.
    """
    ordered = _ordered(keys)
    position = [k.kid for k in ordered].index(key.kid)
    if position + 1 == len(ordered):
        return None
    stopped = ordered[position + 1].created_at + timedelta(seconds=delay)
    return stopped + timedelta(seconds=horizon)


class Keyring:
    """The keys a process signs and verifies with, looked up by `kid` only.

    A new key verifies at once but signs only after `activation_delay` seconds, by when every
    server process has loaded it: rotating keys never makes a fresh token fail elsewhere.
    """

    def __init__(
        self,
        keys: Sequence[SigningKey],
        activation_delay: float = 0.0,
        valid_until: datetime | None = None,
    ) -> None:
        if not keys:
            raise ValueError("a keyring needs at least one key")
        # When the first of these keys expires: a process must load its keyring again then,
        # not wait for a restart or a rotation.
        self.valid_until = valid_until
        self._ordered = _ordered(keys)
        self._delay = timedelta(seconds=activation_delay)
        self._keys = {k.kid: k for k in self._ordered}
        self._verifiers = {k.kid: _jwk(k) for k in self._ordered}

    def signing_at(self, moment: datetime) -> SigningKey:
        """The key that signs at `moment`: the newest active one (the oldest if none is)."""
        return _signing(self._ordered, moment, self._delay)

    def key(self, kid: str) -> SigningKey | None:
        """The key with this id, to sign with a specific (still verifying) key."""
        return self._keys.get(kid)

    def verifier(self, kid: object) -> PyJWK | None:
        """The verification key for `kid`, or None; `kid` is an opaque lookup key, never a path."""
        return self._verifiers.get(kid) if isinstance(kid, str) else None

    @property
    def kids(self) -> tuple[str, ...]:
        """The ids this ring verifies."""
        return tuple(self._verifiers)

    def __repr__(self) -> str:
        return f"Keyring(kids={self.kids})"


def _jwk(key: SigningKey) -> PyJWK:
    material = base64.urlsafe_b64encode(key.secret).rstrip(b"=").decode()
    return PyJWK({"kty": "oct", "k": material, "alg": key.algorithm, "kid": key.kid})
