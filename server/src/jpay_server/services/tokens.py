"""Token use cases: issue a pair for app credentials, refresh (rotate) it, revoke a family."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from jpay_server.domain.access import AppAccess, check_caller, check_live_token
from jpay_server.domain.allowlists import IPAddress
from jpay_server.domain.apps import RefreshPolicy
from jpay_server.domain.credentials import match_secret
from jpay_server.domain.events import SecurityEvent, SecurityEventKind
from jpay_server.domain.refresh import (
    Family,
    LostRace,
    StoredRefresh,
    classify_used,
    expiry,
    family_end,
)
from jpay_server.domain.tokens import AccessClaims, RefreshClaims, TokenCodec
from jpay_server.errors import (
    AuthenticationFailed,
    invalid_credentials,
    token_expired,
    token_invalid,
    token_revoked,
)
from jpay_server.services.access import AccessState
from jpay_server.services.context import Context, new_id
from jpay_server.services.webhooks import emit_security_event
from jpay_server.store.apps import AppRepository
from jpay_server.store.changes import ChangeRepository
from jpay_server.store.events import SecurityEventRepository
from jpay_server.store.tokens import TokenRepository


@dataclass(frozen=True, slots=True)
class TokenPair:
    """An access token and its refresh token."""

    access: str
    refresh: str
    expires_in: int

    def __repr__(self) -> str:
        return f"TokenPair(<redacted>, expires_in={self.expires_in})"


@dataclass(frozen=True, slots=True)
class TokenGrant:
    """The answer to /auth/app/token."""

    pair: TokenPair
    merchant_id: int
    app_code: int
    products: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Reused:
    """A refresh token replayed after rotation: the family is revoked (to commit, then 401)."""

    family_id: str


def _seconds(moment: datetime) -> datetime:
    # Token times are whole seconds (RFC 7519 NumericDate), so a stored record re-encodes
    # to exactly the token first handed out.
    return moment.replace(microsecond=0)


def _new_record(
    ctx: Context, codec: TokenCodec, family: Family, parent: str | None, now: datetime
) -> StoredRefresh:
    issued = _seconds(now)
    return StoredRefresh(
        jti=new_id(ctx.rand),
        family_id=family.id,
        parent_jti=parent,
        access_jti=new_id(ctx.rand),
        kid=codec.keyring.signing_at(issued).kid,
        issued_at=issued,
        expires_at=expiry(issued, ctx.settings.refresh_token_lifetime, family.ends_at),
        used_at=None,
        use_count=0,
        successor_jti=None,
    )


def _encode(
    ctx: Context, codec: TokenCodec, access: AppAccess, family: Family, record: StoredRefresh
) -> TokenPair:
    """Encode the pair a stored record stands for; the same record always gives the same pair."""
    key = codec.keyring.key(record.kid)
    issued = int(record.issued_at.timestamp())
    access_exp = expiry(record.issued_at, ctx.settings.access_token_lifetime, family.ends_at)
    access_claims = AccessClaims(
        app_code=access.app_code,
        merchant_id=access.merchant_id,
        products=tuple(sorted(access.products)),
        family=family.id,
        epoch=family.epoch,
        jti=record.access_jti,
        issued_at=issued,
        expires_at=int(access_exp.timestamp()),
    )
    refresh_claims = RefreshClaims(
        app_code=access.app_code,
        merchant_id=access.merchant_id,
        family=family.id,
        epoch=family.epoch,
        jti=record.jti,
        issued_at=issued,
        expires_at=int(record.expires_at.timestamp()),
    )
    return TokenPair(
        access=codec.encode_access(access_claims, key),
        refresh=codec.encode_refresh(refresh_claims, key),
        expires_in=int((access_exp - record.issued_at).total_seconds()),
    )


@dataclass(frozen=True, slots=True)
class Login:
    """App credentials that checked out: ready to start a refresh family."""

    access: AppAccess
    epoch: int
    codec: TokenCodec


@dataclass(frozen=True, slots=True)
class RefreshRequest:
    """A refresh token that checked out: ready to be rotated."""

    access: AppAccess
    claims: RefreshClaims
    codec: TokenCodec


# Each token use case has two halves: checks that need no transaction (signature, cached
# access state, credentials, allowlist), then the writes. Callers open the unit of work only
# for the second half, so a write transaction (and SQLite's single write lock) is held for
# the writes alone.


async def authenticate_app(
    ctx: Context, state: AccessState, app_key: str, app_secret: str, client_ip: IPAddress | None
) -> Login:
    """Check app credentials (constant time), the allowlist and merchant and app state."""
    codec = await state.ensure_fresh()
    access = await state.app_by_key(app_key)
    now = ctx.clock()
    record = match_secret(access.secrets if access else (), app_secret, ctx.keys.pepper, now)
    if access is None or record is None:
        raise invalid_credentials()
    check_caller(access, client_ip)
    return Login(access, record.generation, codec)


async def start_family(ctx: Context, session: AsyncSession, login: Login) -> TokenGrant:
    """Start a refresh family for a login and return its first pair."""
    now = ctx.clock()
    started = _seconds(now)
    access = login.access
    family = Family(
        id=new_id(ctx.rand),
        app_code=access.app_code,
        epoch=login.epoch,
        started_at=started,
        ends_at=family_end(started, ctx.settings.refresh_token_lifetime),
        revoked_at=None,
    )
    first = _new_record(ctx, login.codec, family, None, now)
    tokens = TokenRepository(session)
    await tokens.add_family(family)
    await tokens.add_token(first)
    await AppRepository(session).touch_secret(access.app_code, login.epoch, now)
    pair = _encode(ctx, login.codec, access, family, first)
    return TokenGrant(pair, access.merchant_id, access.app_code, tuple(sorted(access.products)))


async def check_refresh(
    ctx: Context, state: AccessState, refresh_token: str, client_ip: IPAddress | None
) -> RefreshRequest:
    """Verify a refresh token and the live state of its app."""
    codec = await state.ensure_fresh()
    now = ctx.clock()
    claims = codec.decode_refresh(refresh_token, int(now.timestamp()))
    access = await state.app(claims.app_code)
    if access is None or access.merchant_id != claims.merchant_id:
        raise token_invalid()
    check_live_token(access, claims.epoch, state.family_revoked(claims.family), now)
    check_caller(access, client_ip)
    return RefreshRequest(access, claims, codec)


async def rotate_refresh(
    ctx: Context, session: AsyncSession, request: RefreshRequest, client_ip: IPAddress | None
) -> TokenPair | Reused:
    """Trade a checked refresh token for a new pair under the app's refresh policy."""
    access, claims, codec = request.access, request.claims, request.codec
    tokens = TokenRepository(session)
    family = await tokens.family(claims.family)
    if family is None or family.app_code != access.app_code:
        raise token_invalid()
    if family.revoked_at is not None:
        raise token_revoked()
    if ctx.clock() >= family.ends_at:  # the leeway on exp must not stretch a family's end
        raise token_expired()
    if access.refresh_policy is RefreshPolicy.REUSABLE:
        return await _refresh_reusable(ctx, codec, session, access, family, claims, client_ip)
    successor = _new_record(ctx, codec, family, claims.jti, ctx.clock())
    if await tokens.claim(claims.jti, ctx.clock(), successor.jti):
        await tokens.add_token(successor)
        return _encode(ctx, codec, access, family, successor)
    return await _lost_race(ctx, codec, session, access, family, claims, client_ip)


async def _lost_race(
    ctx: Context,
    codec: TokenCodec,
    session: AsyncSession,
    access: AppAccess,
    family: Family,
    claims: RefreshClaims,
    client_ip: IPAddress | None,
) -> TokenPair | Reused:
    """The token was used already: replay its successor within grace, else revoke the family."""
    tokens = TokenRepository(session)
    used = await tokens.token(claims.jti)
    if used is None or used.used_at is None:
        raise token_invalid()  # signed by us but never recorded (e.g. a restored database)
    successor = await tokens.token(used.successor_jti) if used.successor_jti else None
    now = ctx.clock()
    successor_used = successor is None or successor.used_at is not None
    grace = ctx.settings.refresh_reuse_grace
    if classify_used(used.used_at, successor_used, now, grace) is LostRace.REPLAY:
        assert successor is not None
        return _encode(ctx, codec, access, family, successor)
    await revoke_family(ctx, session, family.id, "refresh_token_reused")
    await SecurityEventRepository(session).add(
        SecurityEvent(
            kind=SecurityEventKind.REFRESH_TOKEN_REUSED,
            app_code=access.app_code,
            merchant_id=access.merchant_id,
            family_id=family.id,
            client_ip=str(client_ip) if client_ip else None,
            created_at=now,
            detail={"jti": claims.jti, "first_used_at": used.used_at.isoformat()},
        )
    )
    app = await AppRepository(session).get(access.app_code)
    if app is not None:
        await emit_security_event(
            ctx, session, app, family.id, str(client_ip) if client_ip else None
        )
    return Reused(family.id)


async def _refresh_reusable(
    ctx: Context,
    codec: TokenCodec,
    session: AsyncSession,
    access: AppAccess,
    family: Family,
    claims: RefreshClaims,
    client_ip: IPAddress | None,
) -> TokenPair:
    """Under the `reusable` policy the token stays valid; a repeated use is still recorded."""
    tokens = TokenRepository(session)
    now = ctx.clock()
    stored = await tokens.token(claims.jti)
    if stored is None or not await tokens.record_use(claims.jti, now):
        raise token_invalid()
    if stored.use_count >= 1:
        await SecurityEventRepository(session).add(
            SecurityEvent(
                kind=SecurityEventKind.REFRESH_TOKEN_REPLAYED,
                app_code=access.app_code,
                merchant_id=access.merchant_id,
                family_id=family.id,
                client_ip=str(client_ip) if client_ip else None,
                created_at=now,
                detail={"jti": claims.jti, "use_count": stored.use_count + 1},
            )
        )
    successor = _new_record(ctx, codec, family, claims.jti, now)
    await tokens.add_token(successor)
    return _encode(ctx, codec, access, family, successor)


async def revoke_family(ctx: Context, session: AsyncSession, family_id: str, reason: str) -> bool:
    """Revoke a family: its refresh tokens at once, its access tokens within a second."""
    now = ctx.clock()
    if not await TokenRepository(session).revoke_family(family_id, now, reason):
        return False
    await ChangeRepository(session).record("family", family_id, now)
    return True


async def family_of(ctx: Context, state: AccessState, token: str) -> str | None:
    """The family of a valid access or refresh token; None for anything else (RFC 7009)."""
    codec = await state.ensure_fresh()
    now = int(ctx.clock().timestamp())
    for decode in (codec.decode_access, codec.decode_refresh):
        try:
            return decode(token, now).family
        except AuthenticationFailed:
            continue
    return None
