"""Signing-key use cases: the first key, rotation without downtime, listing, loading."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography.exceptions import InvalidTag
from sqlalchemy.ext.asyncio import AsyncSession

from jpay_server.domain.keys import (
    Keyring,
    SigningKey,
    key_expiry,
    key_status,
    new_signing_key,
)
from jpay_server.domain.secrets import seal, unseal
from jpay_server.errors import InvalidRequest, NotFound
from jpay_server.services.context import Context
from jpay_server.store.changes import ChangeKind, ChangeRepository
from jpay_server.store.keys import KeyRepository, SealedKey

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class KeyInfo:
    """A key as operators see it: never its secret."""

    kid: str
    algorithm: str
    created_at: datetime
    status: str


def _context(kid: str) -> bytes:
    return b"jpay/signing-key/" + kid.encode()


async def _unseal_all(ctx: Context, session: AsyncSession) -> list[SigningKey]:
    """Every stored key that this server's JPAY_SECRET_KEY can open (others are logged)."""
    keys = []
    for k in await KeyRepository(session).all():
        try:
            secret = unseal(ctx.keys.kek, k.sealed, _context(k.kid))
        except InvalidTag:
            log.error("signing key %s was sealed with another JPAY_SECRET_KEY; ignoring it", k.kid)
            continue
        keys.append(SigningKey(k.kid, secret, k.created_at, k.algorithm))
    return keys


@dataclass(frozen=True, slots=True)
class RetiredKey:
    """A retired key, and the key made to sign in its place (None if another already signs)."""

    kid: str
    replaced_by: str | None


async def _add_key(
    ctx: Context, session: AsyncSession, created_at: datetime | None = None
) -> SigningKey:
    stored = await KeyRepository(session).all()
    if stored and len(await _unseal_all(ctx, session)) != len(stored):
        # A key sealed under another master secret would be unreadable by every server.
        raise InvalidRequest(
            "the existing signing keys were sealed with another JPAY_SECRET_KEY; "
            "run this with the servers' JPAY_SECRET_KEY",
            code="secret_key_mismatch",
        )
    key = new_signing_key(ctx.rand, created_at or ctx.clock())
    sealed = seal(ctx.keys.kek, key.secret, _context(key.kid), ctx.rand(12))
    await KeyRepository(session).add(SealedKey(key.kid, key.algorithm, sealed, key.created_at))
    return key


async def ensure_signing_key(ctx: Context, session: AsyncSession) -> None:
    """Create the first signing key if there is none."""
    if not await KeyRepository(session).all():
        await _add_key(ctx, session)


async def rotate_key(ctx: Context, session: AsyncSession) -> KeyInfo:
    """Add a key: it verifies at once everywhere and starts signing after the activation delay."""
    key = await _add_key(ctx, session)
    await ChangeRepository(session).record(ChangeKind.KEYS, key.kid, key.created_at)
    return KeyInfo(key.kid, key.algorithm, key.created_at, "pending")


async def retire_key(ctx: Context, session: AsyncSession, kid: str) -> RetiredKey:
    """Delete a (compromised) key: every token it signed stops verifying on every process
    within a second. If it was the signing key, a new key signs at once in its place."""
    stored = await KeyRepository(session).all()
    keys = [SigningKey(k.kid, b"", k.created_at, k.algorithm) for k in stored]
    if kid not in {k.kid for k in keys}:
        raise NotFound(f"signing key {kid} not found", code="key_not_found")
    now, delay = ctx.clock(), ctx.settings.key_activation_delay
    retired = next(k for k in keys if k.kid == kid)
    was_signing = key_status(retired, keys, now, _horizon(ctx), delay) == "signing"
    await KeyRepository(session).remove(kid)
    replaced_by = None
    if was_signing:
        # No waiting for the activation delay: a process that has not loaded the new key
        # within the second refuses its tokens (401, the client logs in again), which beats
        # signing one more token with a compromised key.
        replacement = await _add_key(ctx, session, now - timedelta(seconds=delay))
        replaced_by = replacement.kid
    await ChangeRepository(session).record(ChangeKind.KEYS, kid, now)
    log.warning("signing key %s retired; its tokens no longer verify", kid)
    return RetiredKey(kid, replaced_by)


def _horizon(ctx: Context) -> int:
    return ctx.settings.refresh_token_lifetime + ctx.settings.token_leeway


async def list_keys(ctx: Context, session: AsyncSession) -> list[KeyInfo]:
    """Every key with its status: pending, signing, verifying or expired."""
    stored = await KeyRepository(session).all()
    keys = [SigningKey(k.kid, b"", k.created_at, k.algorithm) for k in stored]
    delay, now = ctx.settings.key_activation_delay, ctx.clock()
    return [
        KeyInfo(k.kid, k.algorithm, k.created_at, key_status(k, keys, now, _horizon(ctx), delay))
        for k in keys
    ]


async def load_keyring(ctx: Context, session: AsyncSession) -> Keyring:
    """The keys that may still sign or verify, unsealed."""
    keys = await _unseal_all(ctx, session)
    if not keys:
        raise RuntimeError(
            "no usable signing key: is JPAY_SECRET_KEY the one the keys were made with?"
        )
    delay, now = ctx.settings.key_activation_delay, ctx.clock()
    live = [k for k in keys if key_status(k, keys, now, _horizon(ctx), delay) != "expired"]
    ends = [e for k in live if (e := key_expiry(k, keys, _horizon(ctx), delay)) is not None]
    return Keyring(live, delay, min(ends, default=None))
