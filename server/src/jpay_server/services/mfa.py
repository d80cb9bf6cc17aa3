"""Second-factor use cases: enrol, confirm, disable, and finishing a login with a code."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import segno
from sqlalchemy import Connection

from jpay_server.domain import mfa
from jpay_server.domain.allowlists import IPAddress
from jpay_server.domain.passwords import verify_password
from jpay_server.domain.secrets import NONCE_BYTES, seal, unseal
from jpay_server.domain.tokens import TokenCodec
from jpay_server.domain.users import User, UserAccess, UserStatus
from jpay_server.errors import (
    Conflict,
    JPayError,
    invalid_credentials,
    invalid_mfa_code,
    token_invalid,
)
from jpay_server.services import limits
from jpay_server.services.access import AccessState
from jpay_server.services.audit import record_own
from jpay_server.services.context import Context
from jpay_server.services.users import UserGrant, finish_login, record_login
from jpay_server.store import users as store
from jpay_server.store.changes import ChangeKind, record_change
from jpay_server.store.db import Database
from jpay_server.store.ratelimits import RateLimiter


@dataclass(frozen=True, slots=True)
class Enrolment:
    """What an authenticator app needs: the secret, as text, URI and QR code."""

    secret: str
    otpauth_uri: str
    qr_svg: str
    qr_png: str  # a data: URI

    def __repr__(self) -> str:
        return "Enrolment(<redacted>)"


def _context(user_id: int) -> bytes:
    return b"jpay/mfa-secret/" + str(user_id).encode()


def _open(ctx: Context, user_id: int, sealed: bytes) -> str:
    return unseal(ctx.keys.kek, sealed, _context(user_id)).decode()


async def enrol(ctx: Context, database: Database, user: UserAccess) -> Enrolment:
    """Start enrolment: a new secret, sealed and kept until confirmed with a code."""
    account = await database.read(lambda conn: store.user_by_id(conn, user.user_id))
    if account is None:
        raise token_invalid()
    if account.mfa_enabled:
        raise Conflict("Two-factor authentication is already on", code="mfa_already_enabled")
    secret = mfa.new_secret(ctx.rand)
    sealed = seal(ctx.keys.kek, secret.encode(), _context(user.user_id), ctx.rand(NONCE_BYTES))
    now = ctx.clock()
    await database.write(
        lambda conn: store.update_user(
            conn, user.user_id, now, mfa_secret=sealed, mfa_last_step=None
        )
    )
    uri = mfa.otpauth_uri(secret, account.email)
    qr = segno.make(uri, error="m")
    return Enrolment(secret, uri, qr.svg_inline(scale=4), qr.png_data_uri(scale=4))


def _new_codes(ctx: Context, conn: Connection, user_id: int) -> list[str]:
    codes = mfa.new_recovery_codes(ctx.rand)
    store.replace_recovery_codes(
        conn, user_id, [mfa.recovery_digest(ctx.keys.pepper, c) for c in codes]
    )
    return codes


async def confirm(
    ctx: Context,
    database: Database,
    limiter: RateLimiter,
    user: UserAccess,
    code: str,
    ip: str | None,
) -> list[str]:
    """Turn MFA on with a first code; returns ten recovery codes (shown once)."""
    await limits.hit(limiter, limits.codes_for(ctx.settings, user.user_id))
    now = ctx.clock()

    def command(conn: Connection) -> list[str]:
        state = store.mfa_state(conn, user.user_id)
        if state.enabled:
            raise Conflict("Two-factor authentication is already on", code="mfa_already_enabled")
        if state.sealed is None:
            raise Conflict("Start enrolment first", code="mfa_not_enrolled")
        secret = _open(ctx, user.user_id, state.sealed)
        step = mfa.matching_step(secret, code, now, state.last_step)
        if step is None or not store.use_step(conn, user.user_id, step):
            raise invalid_mfa_code()
        store.update_user(conn, user.user_id, now, mfa_enabled_at=now)
        codes = _new_codes(ctx, conn, user.user_id)
        record_change(conn, ChangeKind.USER, str(user.user_id), now)
        record_own(conn, now, user.user_id, user.merchant_id, "user.mfa_enable", client_ip=ip)
        return codes

    return await database.write(command)


def _check_code(ctx: Context, conn: Connection, user_id: int, code: str) -> bool:
    """A TOTP code (each step once) or an unused recovery code (spent now)."""
    state = store.mfa_state(conn, user_id)
    if not state.enabled or state.sealed is None:
        return False
    now = ctx.clock()
    if mfa.looks_like_totp(code):
        step = mfa.matching_step(_open(ctx, user_id, state.sealed), code, now, state.last_step)
        return step is not None and store.use_step(conn, user_id, step)
    return store.use_recovery_code(conn, user_id, mfa.recovery_digest(ctx.keys.pepper, code), now)


async def disable(
    ctx: Context,
    database: Database,
    limiter: RateLimiter,
    user: UserAccess,
    password: str,
    code: str,
    ip: str | None,
) -> None:
    """Turn MFA off: needs the password and a current code (or a recovery code)."""
    await limits.hit(limiter, limits.codes_for(ctx.settings, user.user_id))
    account = await database.read(lambda conn: store.user_by_id(conn, user.user_id))
    if account is None:
        raise token_invalid()
    if not await asyncio.to_thread(verify_password, account.password_hash, password):
        raise invalid_credentials()
    now = ctx.clock()

    def command(conn: Connection) -> None:
        if not _check_code(ctx, conn, user.user_id, code):
            raise invalid_mfa_code()
        store.update_user(
            conn, user.user_id, now, mfa_secret=None, mfa_enabled_at=None, mfa_last_step=None
        )
        store.replace_recovery_codes(conn, user.user_id, [])
        record_change(conn, ChangeKind.USER, str(user.user_id), now)
        record_own(conn, now, user.user_id, user.merchant_id, "user.mfa_disable", client_ip=ip)

    await database.write(command)


async def regenerate_codes(
    ctx: Context,
    database: Database,
    limiter: RateLimiter,
    user: UserAccess,
    code: str,
    ip: str | None,
) -> list[str]:
    """Ten new recovery codes for ten old ones, with a current code."""
    await limits.hit(limiter, limits.codes_for(ctx.settings, user.user_id))
    now = ctx.clock()

    def command(conn: Connection) -> list[str]:
        if not _check_code(ctx, conn, user.user_id, code):
            raise invalid_mfa_code()
        codes = _new_codes(ctx, conn, user.user_id)
        action = "user.mfa_recovery_codes"
        record_own(conn, now, user.user_id, user.merchant_id, action, client_ip=ip)
        return codes

    return await database.write(command)


async def _limit_second_step(
    ctx: Context,
    state: AccessState,
    limiter: RateLimiter,
    mfa_token: str,
    client: IPAddress | None,
) -> None:
    """Codes count per client address and, when the mfa_token names one, per user."""
    hits = [limits.logins_from(ctx.settings, client)]
    user_id = await mfa_user_of(ctx, state, mfa_token)
    if user_id is not None:
        hits.append(limits.codes_for(ctx.settings, user_id))
    await limits.hit(limiter, *hits)


async def _second_step(
    ctx: Context, state: AccessState, database: Database, mfa_token: str, code: str
) -> tuple[TokenCodec, User]:
    """The user a valid mfa_token and a right code name (else the 401 they get)."""
    codec = await state.ensure_fresh()
    claims = codec.decode_mfa(mfa_token, int(ctx.clock().timestamp()))
    user = await database.read(lambda conn: store.user_by_id(conn, claims.user_id))
    if user is None or user.status is not UserStatus.ACTIVE or user.token_epoch != claims.epoch:
        raise token_invalid()  # removed, disabled or password reset since the password step
    if not await database.write(lambda conn: _check_code(ctx, conn, user.id, code)):
        raise invalid_mfa_code()
    return codec, user


async def finish_mfa_login(
    ctx: Context,
    state: AccessState,
    database: Database,
    limiter: RateLimiter,
    mfa_token: str,
    code: str,
    client: IPAddress | None,
) -> UserGrant:
    """The second step of a login: a valid mfa_token and a code give the token pair."""
    await _limit_second_step(ctx, state, limiter, mfa_token, client)
    codec, user = await _second_step(ctx, state, database, mfa_token, code)
    return await finish_login(ctx, state, database, codec, user, None)


async def verify_mfa_login(
    ctx: Context,
    state: AccessState,
    database: Database,
    limiter: RateLimiter,
    mfa_token: str,
    code: str,
    client: IPAddress | None,
) -> UserAccess:
    """The second step for the dashboard, which keeps a session instead of a token pair."""
    await _limit_second_step(ctx, state, limiter, mfa_token, client)
    _, user = await _second_step(ctx, state, database, mfa_token, code)
    return await record_login(ctx, state, database, user, None)


async def mfa_user_of(ctx: Context, state: AccessState, mfa_token: str) -> int | None:
    """The user an mfa_token names, for rate limiting (None if it does not verify)."""
    codec = await state.ensure_fresh()
    try:
        return codec.decode_mfa(mfa_token, int(ctx.clock().timestamp())).user_id
    except JPayError:
        return None
