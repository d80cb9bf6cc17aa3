"""Token signing keys: a keyring where the newest key signs and any unexpired key verifies."""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from jwt import PyJWK

ALGORITHM = "HS256"
KEY_BYTES = 32  # RFC 7518 §3.2: an HS256 key must be at least 256 bits.

TokenBytes = Callable[[int], bytes]


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


def key_status(key: SigningKey, keys: Sequence[SigningKey], now: datetime, horizon: int) -> str:
    """'signing' for the newest key, 'verifying' while its tokens may live, else 'expired'."""
    newer = [k.created_at for k in keys if k.created_at > key.created_at]
    if not newer:
        return "signing"
    return "verifying" if min(newer) + timedelta(seconds=horizon) > now else "expired"


class Keyring:
    """The keys a process signs and verifies with, looked up by `kid` only."""

    def __init__(self, keys: Sequence[SigningKey]) -> None:
        if not keys:
            raise ValueError("a keyring needs at least one key")
        ordered = sorted(keys, key=lambda k: k.created_at)
        self.signing = ordered[-1]
        self._keys = {k.kid: k for k in ordered}
        self._verifiers = {k.kid: _jwk(k) for k in ordered}

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
        return f"Keyring(signing={self.signing.kid}, kids={self.kids})"


def _jwk(key: SigningKey) -> PyJWK:
    material = base64.urlsafe_b64encode(key.secret).rstrip(b"=").decode()
    return PyJWK({"kty": "oct", "k": material, "alg": key.algorithm, "kid": key.kid})
