"""Signing-key use cases: the first key, rotation without downtime, listing, loading."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from cryptography.exceptions import InvalidTag
from sqlalchemy.ext.asyncio import AsyncSession

from jpay_server.domain.keys import Keyring, SigningKey, key_status, new_signing_key
from jpay_server.domain.secrets import seal, unseal
from jpay_server.errors import InvalidRequest
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


async def _add_key(ctx: Context, session: AsyncSession) -> SigningKey:
    stored = await KeyRepository(session).all()
    if stored and len(await _unseal_all(ctx, session)) != len(stored):
        # A key sealed under another master secret would be unreadable by every server.
        raise InvalidRequest(
            "the existing signing keys were sealed with another JPAY_SECRET_KEY; "
            "run this with the servers' JPAY_SECRET_KEY",
            code="secret_key_mismatch",
        )
    key = new_signing_key(ctx.rand, ctx.clock())
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
    return Keyring(live, delay)
