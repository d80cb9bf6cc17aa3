"""Signing-key use cases: the first key, rotation without downtime, listing, loading."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from jpay_server.domain.keys import Keyring, SigningKey, key_status, new_signing_key
from jpay_server.domain.secrets import seal, unseal
from jpay_server.services.context import Context
from jpay_server.store.changes import ChangeRepository
from jpay_server.store.keys import KeyRepository, SealedKey


@dataclass(frozen=True, slots=True)
class KeyInfo:
    """A key as operators see it: never its secret."""

    kid: str
    algorithm: str
    created_at: datetime
    status: str


def _context(kid: str) -> bytes:
    return b"jpay/signing-key/" + kid.encode()


async def _add_key(ctx: Context, session: AsyncSession) -> SigningKey:
    key = new_signing_key(ctx.rand, ctx.clock())
    sealed = seal(ctx.keys.kek, key.secret, _context(key.kid), ctx.rand(12))
    await KeyRepository(session).add(SealedKey(key.kid, key.algorithm, sealed, key.created_at))
    return key


async def ensure_signing_key(ctx: Context, session: AsyncSession) -> None:
    """Create the first signing key if there is none."""
    if not await KeyRepository(session).all():
        await _add_key(ctx, session)


async def rotate_key(ctx: Context, session: AsyncSession) -> KeyInfo:
    """Add a new signing key; older keys keep verifying the tokens they signed until expiry."""
    key = await _add_key(ctx, session)
    await ChangeRepository(session).record("keys", key.kid, key.created_at)
    return KeyInfo(key.kid, key.algorithm, key.created_at, "signing")


async def list_keys(ctx: Context, session: AsyncSession) -> list[KeyInfo]:
    """Every key with its status: signing, verifying or expired."""
    stored = await KeyRepository(session).all()
    keys = [SigningKey(k.kid, b"", k.created_at, k.algorithm) for k in stored]
    horizon = ctx.settings.refresh_token_lifetime + ctx.settings.token_leeway
    now = ctx.clock()
    return [
        KeyInfo(k.kid, k.algorithm, k.created_at, key_status(k, keys, now, horizon)) for k in keys
    ]


async def load_keyring(ctx: Context, session: AsyncSession) -> Keyring:
    """The keys that may still sign or verify, unsealed."""
    stored = await KeyRepository(session).all()
    keys = [
        SigningKey(
            k.kid, unseal(ctx.keys.kek, k.sealed, _context(k.kid)), k.created_at, k.algorithm
        )
        for k in stored
    ]
    horizon = ctx.settings.refresh_token_lifetime + ctx.settings.token_leeway
    now = ctx.clock()
    return Keyring([k for k in keys if key_status(k, keys, now, horizon) != "expired"])
