"""Token use cases: issue a pair for app credentials, refresh (rotate) it, revoke a family.

Logging in writes nothing: a refresh token carries its family, generation and the family's
absolute end in signed claims. The database remembers only what must outlive a token's
text: which refresh tokens were used (and what replaced them) and which families are revoked.
So a login is CPU only, and a refresh is one conditional INSERT.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sqlalchemy import Connection

from jpay_server.domain.access import AppAccess, check_caller, check_live_token
from jpay_server.domain.allowlists import IPAddress
from jpay_server.domain.apps import RefreshPolicy
from jpay_server.domain.credentials import match_secret
from jpay_server.domain.events import SecurityEvent, SecurityEventKind
from jpay_server.domain.refresh import (
    SPENT,
    RefreshUse,
    SecondUse,
    Successor,
    classify_used,
    expiry,
    family_end,
)
from jpay_server.domain.tokens import AccessClaims, RefreshClaims, TokenCodec
from jpay_server.domain.users import UserAccess, check_live_user
from jpay_server.errors import (
    AuthenticationFailed,
    PermissionDenied,
    invalid_credentials,
    ip_not_allowed,
    refresh_token_reused,
    token_expired,
    token_invalid,
    token_revoked,
)
from jpay_server.services import limits
from jpay_server.services.access import AccessState
from jpay_server.services.context import Context, new_id
from jpay_server.services.webhooks import security_event
from jpay_server.store import tokens as store
from jpay_server.store.apps import touch_secret
from jpay_server.store.changes import ChangeKind, record_change
from jpay_server.store.events import add_security_event
from jpay_server.store.webhooks import add_event

if TYPE_CHECKING:  # the runtime holds the logins log, which imports this module
    from jpay_server.services.runtime import Runtime


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
    family_id: str = ""  # the login this pair starts (for the merchant's live-logins list)
    started_at: datetime | None = None
    ends_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Reused:
    """A refresh token replayed after rotation: the family is revoked (to commit, then 401)."""

    family_id: str


@dataclass(frozen=True, slots=True)
class Family:
    """What a pair needs to know about its family: id, generation, absolute end."""

    id: str
    generation: int
    ends_at: datetime


@dataclass(frozen=True, slots=True)
class Rotated:
    """A refresh that went through: the pair to hand out, signed once the change commits."""

    family: Family
    successor: Successor


@dataclass(frozen=True, slots=True)
class Login:
    """App credentials that checked out: ready for a new family."""

    access: AppAccess
    generation: int
    codec: TokenCodec


@dataclass(frozen=True, slots=True)
class CheckedRefresh:
    """A refresh token that checked out (signature, claims, live app or user state)."""

    access: AppAccess | UserAccess
    claims: RefreshClaims
    codec: TokenCodec


def _seconds(moment: datetime) -> datetime:
    # Token times are whole seconds (RFC 7519 NumericDate), so a remembered successor
    # re-encodes to exactly the tokens first handed out.
    return moment.replace(microsecond=0)


def _successor(ctx: Context, codec: TokenCodec, now: datetime) -> Successor:
    issued = _seconds(now)
    return Successor(
        new_id(ctx.rand), new_id(ctx.rand), issued, codec.keyring.signing_at(issued).kid
    )


def _subject(access: AppAccess | UserAccess) -> tuple[int, tuple[str, ...], int | None]:
    """A family's holder as claims see it: app code, products, user id (app code 0: a user)."""
    if isinstance(access, UserAccess):
        return 0, (), access.user_id
    return access.app_code, tuple(sorted(access.products)), None


def _encode(
    ctx: Context,
    codec: TokenCodec,
    access: AppAccess | UserAccess,
    family: Family,
    pair: Successor,
) -> TokenPair:
    """The tokens a successor stands for; the same successor always gives the same tokens."""
    key = codec.keyring.key(pair.kid)
    issued = int(pair.issued_at.timestamp())
    access_exp = expiry(pair.issued_at, ctx.settings.access_token_lifetime, family.ends_at)
    refresh_exp = expiry(pair.issued_at, ctx.settings.refresh_token_lifetime, family.ends_at)
    app_code, products, user_id = _subject(access)
    access_claims = AccessClaims(
        app_code=app_code,
        merchant_id=access.merchant_id,
        products=products,
        family=family.id,
        generation=family.generation,
        jti=pair.access_jti,
        issued_at=issued,
        expires_at=int(access_exp.timestamp()),
        user_id=user_id,
    )
    refresh_claims = RefreshClaims(
        app_code=app_code,
        merchant_id=access.merchant_id,
        family=family.id,
        generation=family.generation,
        jti=pair.jti,
        issued_at=issued,
        expires_at=int(refresh_exp.timestamp()),
        family_end=int(family.ends_at.timestamp()),
        user_id=user_id,
    )
    return TokenPair(
        access=codec.encode_access(access_claims, key),
        refresh=codec.encode_refresh(refresh_claims, key),
        expires_in=int((access_exp - pair.issued_at).total_seconds()),
    )


async def authenticate_app(
    ctx: Context, state: AccessState, app_key: str, app_secret: str, client_ip: IPAddress | None
) -> Login:
    """Check app credentials (constant time), the allowlist and merchant and app state."""
    codec = await state.ensure_fresh()
    access = await state.app_by_key(app_key)
    now = ctx.clock()
    record = match_secret(access.secrets if access else (), app_secret, ctx.keys.pepper, now)
    if access is not None and record is None:
        # A secret rotated a moment ago may not have reached this process's memory yet (the
        # change log is polled): read the app once more before calling the secret wrong, so a
        # secret works as soon as it is shown; only a failing login pays for the read. The
        # secret is compared again only if the app's secrets changed, so a wrong secret still
        # costs one comparison, as an unknown key does.
        fresh = await state.reload_app_by_key(app_key)
        if fresh is not None and fresh.secrets != access.secrets:
            access = fresh
            record = match_secret(access.secrets, app_secret, ctx.keys.pepper, now)
    if access is not None and not access.allowlist.allows(client_ip):
        # From outside the allowlist every secret, right or wrong, gets what a wrong one gets:
        # a leaked secret is not confirmed to its holder. The refused-requests log keeps the
        # reason (the cause) for the merchant's team. See docs/decisions.md.
        raise invalid_credentials() from ip_not_allowed()
    if access is None or record is None:
        raise invalid_credentials()
    check_caller(access, client_ip)
    return Login(access, record.generation, codec)


def issue_tokens(ctx: Context, login: Login) -> TokenGrant:
    """Start a refresh family and return its first pair (nothing to store yet)."""
    now = ctx.clock()
    started = _seconds(now)
    family = Family(
        new_id(ctx.rand), login.generation, family_end(started, ctx.settings.refresh_token_lifetime)
    )
    pair = _encode(ctx, login.codec, login.access, family, _successor(ctx, login.codec, now))
    access = login.access
    products = tuple(sorted(access.products))
    return TokenGrant(
        pair, access.merchant_id, access.app_code, products, family.id, started, family.ends_at
    )


def issue_user_tokens(ctx: Context, codec: TokenCodec, user: UserAccess) -> TokenPair:
    """Start a refresh family for a merchant user: the same machinery as an app's."""
    now = ctx.clock()
    started = _seconds(now)
    family = Family(
        new_id(ctx.rand), user.token_epoch, family_end(started, ctx.settings.refresh_token_lifetime)
    )
    return _encode(ctx, codec, user, family, _successor(ctx, codec, now))


async def check_refresh(
    ctx: Context, state: AccessState, refresh_token: str, client_ip: IPAddress | None
) -> CheckedRefresh:
    """Verify a refresh token and the live state of its app."""
    codec = await state.ensure_fresh()
    now = ctx.clock()
    claims = codec.decode_refresh(refresh_token, int(now.timestamp()))
    if now.timestamp() >= claims.family_end:  # the exp leeway must not stretch a family's end
        raise token_expired()
    if claims.user_id is not None:
        # A merchant user's family: the user's live state instead of an app's.
        user = await state.user(claims.user_id)
        revoked = state.family_revoked(claims.family)
        return CheckedRefresh(
            check_live_user(user, claims.merchant_id, claims.generation, revoked), claims, codec
        )
    access = await state.app(claims.app_code)
    if access is None or access.merchant_id != claims.merchant_id:
        raise token_invalid()
    check_live_token(access, claims.generation, state.family_revoked(claims.family), now)
    check_caller(access, client_ip)
    return CheckedRefresh(access, claims, codec)


def rotate_refresh(
    ctx: Context, conn: Connection, request: CheckedRefresh, client_ip: IPAddress | None
) -> Rotated | Reused:
    """Record the use of a checked refresh token under the app's refresh policy.

    Signing waits for `refreshed_pair`, after the commit: on SQLite the write lock is held
    for the statements alone.
    """
    access, claims, codec = request.access, request.claims, request.codec
    now = ctx.clock()
    family = Family(
        claims.family, claims.generation, datetime.fromtimestamp(claims.family_end, UTC)
    )
    successor = _successor(ctx, codec, now)
    use = RefreshUse(claims.jti, family.id, claims.app_code, now, 1, successor)
    if isinstance(access, AppAccess) and access.refresh_policy is RefreshPolicy.REUSABLE:
        return _reuse_allowed(ctx, conn, request, family, use, client_ip)
    if store.record_first_use(conn, replace(use, use_count=SPENT)):
        return Rotated(family, successor)
    if store.is_revoked(conn, family.id):
        raise token_revoked()
    return _used_before(ctx, conn, request, family, client_ip)


def _used_before(
    ctx: Context,
    conn: Connection,
    request: CheckedRefresh,
    family: Family,
    client_ip: IPAddress | None,
) -> Rotated | Reused:
    """Already used: replay its successor within the grace window, else revoke the family."""
    winner = store.use_of(conn, request.claims.jti)
    if winner is None or winner.successor is None:
        raise token_invalid()
    now = ctx.clock()
    successor_used = store.use_of(conn, winner.successor.jti) is not None
    grace = ctx.settings.refresh_reuse_grace
    if classify_used(winner.used_at, successor_used, now, grace) is SecondUse.REPLAY:
        return Rotated(family, winner.successor)
    detail = {"jti": request.claims.jti, "first_used_at": winner.used_at.isoformat()}
    _revoke_for_reuse(ctx, conn, request.access, family.id, client_ip, detail)
    return Reused(family.id)


def _revoke_for_reuse(
    ctx: Context,
    conn: Connection,
    access: AppAccess | UserAccess,
    family_id: str,
    client_ip: IPAddress | None,
    detail: dict[str, str],
) -> None:
    """Revoke the family, record the security event and tell the merchant, in one go."""
    now = ctx.clock()
    ip = str(client_ip) if client_ip else None
    if isinstance(access, UserAccess):  # security events and webhooks are about apps
        revoke_family(ctx, conn, family_id, 0, "refresh_token_reused")
        return
    revoke_family(ctx, conn, family_id, access.app_code, "refresh_token_reused")
    add_security_event(
        conn,
        SecurityEvent(
            SecurityEventKind.REFRESH_TOKEN_REUSED,
            access.app_code,
            access.merchant_id,
            family_id,
            ip,
            now,
            detail,
        ),
    )
    event = security_event(ctx, access.app_code, access.webhook_url, family_id, ip)
    if event is not None:
        add_event(conn, event)


def _reuse_allowed(
    ctx: Context,
    conn: Connection,
    request: CheckedRefresh,
    family: Family,
    use: RefreshUse,
    client_ip: IPAddress | None,
) -> Rotated | Reused:
    """Under the `reusable` policy a token stays valid; each repeated use is recorded."""
    access = request.access
    assert isinstance(access, AppAccess)
    count = store.count_use(conn, use)
    if count is None:
        if store.is_revoked(conn, family.id):
            raise token_revoked()
        # Spent under `rotate` before the switch: the policy applies from the switch on.
        return _used_before(ctx, conn, request, family, client_ip)
    if count > 1:
        add_security_event(
            conn,
            SecurityEvent(
                SecurityEventKind.REFRESH_TOKEN_REPLAYED,
                access.app_code,
                access.merchant_id,
                family.id,
                str(client_ip) if client_ip else None,
                use.used_at,
                {"jti": use.jti, "use_count": count},
            ),
        )
    assert use.successor is not None
    return Rotated(family, use.successor)


async def log_in(
    rt: Runtime, app_key: str, app_secret: str, client_ip: IPAddress | None, path: str
) -> TokenGrant:
    """The token use case whole: the limits, the credentials checked in memory, the first pair
    issued, a refusal noted, and (at most once a minute per secret) the secret's use recorded."""
    s = rt.settings
    # The per-key limit is checked before the secret, so a key under attack confirms no
    # guess, right ones included; only failures count, so an app's own logins never use it up.
    key_limit = limits.failed_logins_of(s, app_key)
    await limits.hit_and_check(rt.limiter, limits.app_logins_from(s, client_ip), key_limit)
    try:
        with rt.refusals.noting(
            lambda: rt.access.cached_code(app_key), client_ip, path, rt.ctx.clock
        ):
            login = await authenticate_app(rt.ctx, rt.access, app_key, app_secret, client_ip)
    except AuthenticationFailed as exc:
        # A caller outside the app's allowlist can confirm no secret, so its failures do not
        # use up the key's limit: a flood from outside cannot lock the app's own logins out.
        if not isinstance(exc.__cause__, PermissionDenied):
            await limits.hit(rt.limiter, key_limit)
        raise
    grant = issue_tokens(rt.ctx, login)  # nothing to store: the family lives in its tokens
    app_code, generation = login.access.app_code, login.generation
    if rt.access.touch_due(app_code, generation):
        now = rt.ctx.clock()
        await rt.database.write(lambda conn: touch_secret(conn, app_code, generation, now))
    rt.logins.note_grant(grant, str(client_ip) if client_ip is not None else None)  # within 1 s
    return grant


async def refresh(
    rt: Runtime, refresh_token: str, client_ip: IPAddress | None, path: str
) -> TokenPair:
    """The refresh use case whole: the limit, the check in memory, the use recorded in one
    write command, the pair signed after the commit, a refusal noted. A stolen copy raises
    `refresh_token_reused`, after the commit that revoked its family."""
    ctx = rt.ctx
    await limits.hit(rt.limiter, limits.refreshes_from(rt.settings, client_ip))
    with rt.refusals.noting(lambda: _signed_for(rt, refresh_token), client_ip, path, ctx.clock):
        checked = await check_refresh(ctx, rt.access, refresh_token, client_ip)
        outcome = await rt.database.write(
            lambda conn: rotate_refresh(ctx, conn, checked, client_ip)
        )
        if isinstance(outcome, Reused):
            raise refresh_token_reused()
    return refreshed_pair(ctx, checked, outcome)


def _signed_for(rt: Runtime, refresh_token: str) -> int | None:
    """The app a refresh token was signed for (its signature checked), else None."""
    codec = rt.access.codec
    return codec.app_of(refresh_token, True) if codec is not None else None


async def revoke(rt: Runtime, token: str, client_ip: IPAddress | None) -> None:
    """Revoke the family of any valid access or refresh token; say nothing about the token."""
    await limits.hit(rt.limiter, limits.refreshes_from(rt.settings, client_ip))
    found = await family_of(rt.ctx, rt.access, token)
    if found is not None:
        family, app_code = found
        await rt.database.write(
            lambda conn: revoke_family(rt.ctx, conn, family, app_code, "revoked_by_client")
        )


def refreshed_pair(ctx: Context, request: CheckedRefresh, rotated: Rotated) -> TokenPair:
    """The tokens a committed rotation hands out (the same ones on a replay)."""
    return _encode(ctx, request.codec, request.access, rotated.family, rotated.successor)


def revoke_family(
    ctx: Context, conn: Connection, family_id: str, app_code: int, reason: str
) -> bool:
    """Revoke a family: its refresh tokens at once, its access tokens within a second."""
    now = ctx.clock()
    if not store.revoke_family(conn, family_id, app_code, now, reason):
        return False
    record_change(conn, ChangeKind.FAMILY, family_id, now)
    return True


async def family_of(ctx: Context, state: AccessState, token: str) -> tuple[str, int] | None:
    """The family and app (0 for a user's) of a valid access or refresh token, else None."""
    codec = await state.ensure_fresh()
    now = int(ctx.clock().timestamp())
    for decode in (codec.decode_access, codec.decode_user_access, codec.decode_refresh):
        try:
            claims = decode(token, now)
        except (AuthenticationFailed, PermissionDenied):  # the other kind's decoder says 403
            continue
        return claims.family, claims.app_code
    return None
