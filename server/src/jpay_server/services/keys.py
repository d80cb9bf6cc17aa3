"""Signing-key use cases: the first key, rotation without downtime, listing, loading."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography.exceptions import InvalidTag
from sqlalchemy import Connection

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
from jpay_server.store.changes import ChangeKind, record_change
from jpay_server.store.db import Database
from jpay_server.store.keys import SealedKey, add_key, all_keys, remove_key

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


def _unseal_all(ctx: Context, stored: list[SealedKey]) -> list[SigningKey]:
    """Every stored key that this server's JPAY_SECRET_KEY can open (others are logged)."""
    keys = []
    for k in stored:
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


def _add_key(ctx: Context, conn: Connection, created_at: datetime | None = None) -> SigningKey:
    stored = all_keys(conn)
    if stored and len(_unseal_all(ctx, stored)) != len(stored):
        # A key sealed under another master secret would be unreadable by every server.
        raise InvalidRequest(
            "the existing signing keys were sealed with another JPAY_SECRET_KEY; "
            "run this with the servers' JPAY_SECRET_KEY",
            code="secret_key_mismatch",
        )
    key = new_signing_key(ctx.rand, created_at or ctx.clock())
    sealed = seal(ctx.keys.kek, key.secret, _context(key.kid), ctx.rand(12))
    add_key(conn, SealedKey(key.kid, key.algorithm, sealed, key.created_at))
    return key


async def ensure_signing_key(ctx: Context, database: Database) -> None:
    """Create the first signing key if there is none."""

    def command(conn: Connection) -> None:
        if not all_keys(conn):
            _add_key(ctx, conn)

    await database.write(command)


async def rotate_key(ctx: Context, database: Database) -> KeyInfo:
    """Add a key: it verifies at once everywhere and starts signing after the activation delay."""

    def command(conn: Connection) -> SigningKey:
        key = _add_key(ctx, conn)
        record_change(conn, ChangeKind.KEYS, key.kid, key.created_at)
        return key

    key = await database.write(command)
    return KeyInfo(key.kid, key.algorithm, key.created_at, "pending")


async def retire_key(ctx: Context, database: Database, kid: str) -> RetiredKey:
    """Delete a (compromised) key: every token it signed stops verifying on every process
    within a second. If it was the signing key, a new key signs at once in its place."""

    def command(conn: Connection) -> RetiredKey:
        keys = [SigningKey(k.kid, b"", k.created_at, k.algorithm) for k in all_keys(conn)]
        if kid not in {k.kid for k in keys}:
            raise NotFound(f"signing key {kid} not found", code="key_not_found")
        now, delay = ctx.clock(), ctx.settings.key_activation_delay
        retired = next(k for k in keys if k.kid == kid)
        was_signing = key_status(retired, keys, now, _horizon(ctx), delay) == "signing"
        remove_key(conn, kid)
        replaced_by = None
        if was_signing:
            # No waiting for the activation delay: a process that has not loaded the new key
            # within the second refuses its tokens (401, the client logs in again), which
            # beats signing one more token with a compromised key.
            replaced_by = _add_key(ctx, conn, now - timedelta(seconds=delay)).kid
        record_change(conn, ChangeKind.KEYS, kid, now)
        return RetiredKey(kid, replaced_by)

    retired = await database.write(command)
    log.warning("signing key %s retired; its tokens no longer verify", kid)
    return retired


def _horizon(ctx: Context) -> int:
    return ctx.settings.refresh_token_lifetime + ctx.settings.token_leeway


async def list_keys(ctx: Context, database: Database) -> list[KeyInfo]:
    """Every key with its status: pending, signing, verifying or expired."""
    stored = await database.read(all_keys)
    keys = [SigningKey(k.kid, b"", k.created_at, k.algorithm) for k in stored]
    delay, now = ctx.settings.key_activation_delay, ctx.clock()
    return [
        KeyInfo(k.kid, k.algorithm, k.created_at, key_status(k, keys, now, _horizon(ctx), delay))
        for k in keys
    ]


class KeysUnreadable(Exception):
    """No stored signing key opens with this server's JPAY_SECRET_KEY."""

    def __init__(self) -> None:
        super().__init__(
            "no usable signing key: is JPAY_SECRET_KEY the one the keys were made with?"
        )


async def check_keys(ctx: Context, database: Database) -> None:
    """Raise KeysUnreadable if keys are stored and none opens (with none, the server makes one)."""
    stored = await database.read(all_keys)
    if stored and not _unseal_all(ctx, stored):
        raise KeysUnreadable


async def load_keyring(ctx: Context, database: Database) -> Keyring:
    """The keys that may still sign or verify, unsealed."""
    keys = _unseal_all(ctx, await database.read(all_keys))
    if not keys:
        raise KeysUnreadable
    delay, now = ctx.settings.key_activation_delay, ctx.clock()
    live = [k for k in keys if key_status(k, keys, now, _horizon(ctx), delay) != "expired"]
    ends = [e for k in live if (e := key_expiry(k, keys, _horizon(ctx), delay)) is not None]
    return Keyring(live, delay, min(ends, default=None))
