"""App credentials: a public app_key and a 256-bit app_secret kept only as a keyed hash."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from jpay_server.domain.randomness import TokenBytes
from jpay_server.errors import InvalidRequest

APP_KEY_PREFIX = "jpay_ak_"
APP_SECRET_PREFIX = "jpay_sk_"  # noqa: S105 - a prefix, not a secret
SECRET_BYTES = 32
MAX_OVERLAP = 30 * 86_400
# Compared against when the app_key is unknown, so that case costs what a wrong secret costs.
_DUMMY_DIGEST = hashlib.sha256(b"jpay/dummy-secret").digest()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def new_app_key(rand: TokenBytes) -> str:
    """A public app identifier."""
    return APP_KEY_PREFIX + _b64(rand(18))


def new_app_secret(rand: TokenBytes) -> str:
    """A secret of 256 random bits with a recognisable prefix (for leak scanners)."""
    return APP_SECRET_PREFIX + _b64(rand(SECRET_BYTES))


def hash_secret(pepper: bytes, secret: str) -> bytes:
    """HMAC-SHA256 under the server pepper; a slow hash buys nothing for 256 random bits."""
    return hmac.new(pepper, secret.encode(), hashlib.sha256).digest()


@dataclass(frozen=True, slots=True)
class SecretRecord:
    """One generation of an app's secret; tokens carry the generation they were issued under."""

    generation: int
    digest: bytes
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None = None

    def __repr__(self) -> str:
        return f"SecretRecord(generation={self.generation}, expires_at={self.expires_at})"

    def is_live(self, now: datetime) -> bool:
        """True while this secret (and tokens issued under it) may be used."""
        return self.expires_at is None or now < self.expires_at


def match_secret(
    records: Sequence[SecretRecord], presented: str, pepper: bytes, now: datetime
) -> SecretRecord | None:
    """The live record the presented secret matches, compared in constant time."""
    digest = hash_secret(pepper, presented)
    found = None
    for record in records:
        # Every record is compared (no early exit), so timing says nothing about which matched.
        if hmac.compare_digest(digest, record.digest) and record.is_live(now):
            found = record
    if not records:
        hmac.compare_digest(digest, _DUMMY_DIGEST)
    return found


def is_live_generation(records: Sequence[SecretRecord], generation: int, now: datetime) -> bool:
    """True if tokens of secret generation `generation` are still honoured."""
    return any(r.generation == generation and r.is_live(now) for r in records)


def check_overlap(overlap: int) -> None:
    """Refuse an overlap outside 0..MAX_OVERLAP seconds (app and webhook secrets alike)."""
    if not 0 <= overlap <= MAX_OVERLAP:
        raise InvalidRequest(f"overlap must be 0-{MAX_OVERLAP} seconds", field="overlap")


def rotate(
    records: Sequence[SecretRecord], digest: bytes, now: datetime, overlap: int
) -> tuple[SecretRecord, datetime]:
    """The new secret record, and when the secrets it replaces stop working."""
    check_overlap(overlap)
    generation = max((r.generation for r in records), default=0) + 1
    return SecretRecord(generation, digest, now, None), now + timedelta(seconds=overlap)
