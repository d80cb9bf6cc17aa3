"""Merchant user use cases: add a member, log in with email and password (and a second factor).

Password hashing is slow by design, so it runs in a worker thread and never inside a write
transaction: the hash is made (or checked) first, then one short write records the outcome.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from sqlalchemy import Connection, select

from jpay_server.domain.allowlists import IPAddress
from jpay_server.domain.members import Role
from jpay_server.domain.passwords import (
    check_new_password,
    dummy_hash,
    hash_password,
    needs_rehash,
    verify_password,
)
from jpay_server.domain.tokens import MFA_LIFETIME, MfaClaims, TokenCodec
from jpay_server.domain.users import User, UserAccess, UserStatus, clean_email
from jpay_server.errors import (
    Conflict,
    InvalidRequest,
    MfaRequired,
    NotFound,
    email_not_verified,
    invalid_credentials,
)
from jpay_server.services import limits
from jpay_server.services.access import AccessState
from jpay_server.services.audit import record_own
from jpay_server.services.context import Context, new_id
from jpay_server.services.tokens import TokenPair, issue_user_tokens
from jpay_server.store import users as store
from jpay_server.store.changes import ChangeKind, record_change
from jpay_server.store.dashboard_sessions import end_user_sessions
from jpay_server.store.db import Database
from jpay_server.store.ratelimits import RateLimiter
from jpay_server.store.tables import MerchantRow


@dataclass(frozen=True, slots=True)
class UserGrant:
    """The answer to a login: a token pair and who it is for."""

    pair: TokenPair
    user: UserAccess


def email_taken() -> Conflict:
    """The address already has an account (said only to operators and team admins)."""
    return Conflict("A user with this email already exists", code="email_taken")


def _merchant_exists(conn: Connection, merchant_id: int) -> bool:
    return (
        conn.execute(select(MerchantRow.id).where(MerchantRow.id == merchant_id)).first()
        is not None
    )


async def add_member(
    ctx: Context,
    database: Database,
    merchant_id: int,
    email: str,
    password: str,
    role: Role,
    *,
    status: UserStatus = UserStatus.ACTIVE,
) -> User:
    """Create a user of a merchant (operator, demo and invitation paths)."""
    email = clean_email(email)
    check_new_password(password, email)
    hashed = await asyncio.to_thread(hash_password, password)
    now = ctx.clock()

    def command(conn: Connection) -> User:
        if not _merchant_exists(conn, merchant_id):
            raise NotFound(f"merchant {merchant_id} not found", code="merchant_not_found")
        if store.user_by_email(conn, email) is not None:
            raise email_taken()
        return store.add_user(conn, merchant_id, email, hashed, role, status, now)

    return await database.write(command)


async def _check_password(
    database: Database, email: str, password: str
) -> tuple[User | None, bool]:
    """The user the email names and whether the password matches, after equal work.

    An unknown or malformed email is checked against a dummy hash, so that it costs exactly
    what a wrong password costs (one argon2id verification).
    """
    try:
        address: str | None = clean_email(email)
    except InvalidRequest:
        address = None
    found = (
        await database.read(lambda conn: store.user_by_email(conn, address)) if address else None
    )
    stored = found.password_hash if found else await asyncio.to_thread(dummy_hash)
    matches = await asyncio.to_thread(verify_password, stored, password)
    return found, matches and found is not None


async def _verified_user(database: Database, email: str, password: str) -> User:
    """The user an email and password name, or the 401 a wrong pair gets (after equal work)."""
    user, matches = await _check_password(database, email, password)
    if user is None or not matches or user.status is UserStatus.DISABLED:
        raise invalid_credentials()
    if user.status is UserStatus.UNVERIFIED:
        raise email_not_verified()  # only someone who knows the password learns this
    return user


async def _password_step(
    ctx: Context,
    state: AccessState,
    database: Database,
    limiter: RateLimiter,
    email: str,
    password: str,
    client: IPAddress | None,
) -> tuple[TokenCodec, User]:
    """The first step of either login, limited per client address and per email (every try
    counts: past the limit even the right password waits)."""
    await limits.hit(
        limiter, limits.logins_from(ctx.settings, client), limits.passwords_for(ctx.settings, email)
    )
    codec = await state.ensure_fresh()
    return codec, await _verified_user(database, email, password)


async def login(
    ctx: Context,
    state: AccessState,
    database: Database,
    limiter: RateLimiter,
    email: str,
    password: str,
    client: IPAddress | None,
) -> UserGrant:
    """Check an email and password; tokens, or MfaRequired with a token for the second step."""
    codec, user = await _password_step(ctx, state, database, limiter, email, password, client)
    if user.mfa_enabled:
        raise MfaRequired(_mfa_token(ctx, codec, user))
    return await finish_login(ctx, state, database, codec, user, password)


@dataclass(frozen=True, slots=True)
class VerifiedLogin:
    """A checked email and password: the user, and a second-factor ticket if one is owed."""

    user: UserAccess
    mfa_token: str | None


async def verify_login(
    ctx: Context,
    state: AccessState,
    database: Database,
    limiter: RateLimiter,
    email: str,
    password: str,
    client: IPAddress | None,
) -> VerifiedLogin:
    """Check an email and password as `login` does, issuing no tokens (the dashboard's sign-in).

    The dashboard keeps its own server-side session instead of a token pair, so it starts no
    refresh family a merchant would then see among the app's live logins.
    """
    codec, user = await _password_step(ctx, state, database, limiter, email, password, client)
    if user.mfa_enabled:
        access = await state.user(user.id)
        if access is None:
            raise invalid_credentials()
        return VerifiedLogin(access, _mfa_token(ctx, codec, user))
    return VerifiedLogin(await record_login(ctx, state, database, user, password), None)


def _mfa_token(ctx: Context, codec: TokenCodec, user: User) -> str:
    issued = int(ctx.clock().timestamp())
    claims = MfaClaims(user.id, user.token_epoch, new_id(ctx.rand), issued, issued + MFA_LIFETIME)
    return codec.encode_mfa(claims)


async def finish_login(
    ctx: Context,
    state: AccessState,
    database: Database,
    codec: TokenCodec,
    user: User,
    password: str | None,
) -> UserGrant:
    """Record the login (rehashing an outdated hash) and issue the user's first pair."""
    access = await record_login(ctx, state, database, user, password)
    return UserGrant(issue_user_tokens(ctx, codec, access), access)


async def record_login(
    ctx: Context, state: AccessState, database: Database, user: User, password: str | None
) -> UserAccess:
    """Note the login time (rehashing an outdated hash); the user's live state."""
    now = ctx.clock()
    values: dict[str, object] = {"last_login_at": now}
    if password is not None and needs_rehash(user.password_hash):
        values["password_hash"] = await asyncio.to_thread(hash_password, password)
    await database.write(lambda conn: store.update_user(conn, user.id, now, **values))
    access = await state.user(user.id)
    if access is None:  # removed in the instant since the password check
        raise invalid_credentials()
    return access


def end_user_tokens(conn: Connection, user_id: int, ctx: Context) -> None:
    """End every token of a user, on every process within a second (in the caller's write)."""
    now = ctx.clock()
    store.end_tokens(conn, user_id, now)
    record_change(conn, ChangeKind.USER, str(user_id), now)


async def account_of(database: Database, user: UserAccess) -> dict[str, object]:
    """The signed-in user's account as the API shows it."""
    found = await database.read(lambda conn: store.user_by_id(conn, user.user_id))
    if found is None:
        raise NotFound("user not found", code="user_not_found")
    return {
        "user_id": found.id,
        "merchant_id": found.merchant_id,
        "email": found.email,
        "role": found.role.value,
        "mfa_enabled": found.mfa_enabled,
        "mfa_required": user.mfa_required,
        "merchant_status": user.merchant_status.value,
    }


async def change_password(
    ctx: Context,
    state: AccessState,
    database: Database,
    limiter: RateLimiter,
    user: UserAccess,
    current: str,
    new: str,
    client_ip: str | None,
) -> UserGrant:
    """A new password for the signed-in user: every other session ends; a fresh pair here.

    Current passwords tried count against the user, like second-factor codes."""
    await limits.hit(limiter, limits.codes_for(ctx.settings, user.user_id))
    account = await database.read(lambda conn: store.user_by_id(conn, user.user_id))
    if account is None:
        raise invalid_credentials()
    if not await asyncio.to_thread(verify_password, account.password_hash, current):
        raise invalid_credentials()
    check_new_password(new, account.email)
    hashed = await asyncio.to_thread(hash_password, new)
    now = ctx.clock()

    def command(conn: Connection) -> None:
        store.update_user(conn, user.user_id, now, password_hash=hashed)
        store.end_tokens(conn, user.user_id, now)  # every token family, this one included
        end_user_sessions(conn, user.user_id, now)
        record_change(conn, ChangeKind.USER, str(user.user_id), now)
        action = "user.change_password"
        record_own(conn, now, user.user_id, user.merchant_id, action, client_ip=client_ip)

    await database.write(command)
    state.forget_user(user.user_id)  # this process issues the new pair under the new epoch
    codec = await state.ensure_fresh()
    fresh = await state.user(user.user_id)
    if fresh is None:
        raise invalid_credentials()
    return UserGrant(issue_user_tokens(ctx, codec, fresh), fresh)
