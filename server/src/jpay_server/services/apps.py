"""App use cases: create, rotate the secret, (de)activate, products, allowlist, refresh policy."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from jpay_server.domain import allowlists, credentials, grants
from jpay_server.domain.apps import (
    App,
    RefreshPolicy,
    new_app_code,
    parse_products,
    parse_refresh_policy,
)
from jpay_server.domain.audit import BY_OPERATOR, Origin
from jpay_server.domain.credentials import SecretRecord
from jpay_server.domain.merchants import clean_name
from jpay_server.domain.webhooks import check_callback_url
from jpay_server.errors import NotFound
from jpay_server.services.audit import record_by
from jpay_server.services.context import Context
from jpay_server.services.merchants import get_merchant
from jpay_server.services.webhooks import create_webhook_secret, rotate_webhook_secret
from jpay_server.store.apps import AppRepository
from jpay_server.store.changes import ChangeKind, ChangeRepository
from jpay_server.store.grants import grants_of

CODE_ATTEMPTS = 20


@dataclass(frozen=True, slots=True)
class AppCredentials:
    """An app with its secret in clear: exists only to be shown once."""

    app: App
    app_secret: str
    webhook_secret: str | None = None
    generation: int = 1  # of the app secret
    previous_expires_at: datetime | None = None  # when a rotation's replaced secrets stop

    def __repr__(self) -> str:
        return f"AppCredentials(app={self.app!r}, app_secret=<redacted>, webhook_secret=<redacted>)"


async def get_app(
    session: AsyncSession, app_code: int, *, for_update: bool = False, by: Origin = BY_OPERATOR
) -> App:
    """The app, or NotFound ("App not found", as JPay documents); optionally row-locked.

    An app of another merchant than `by`'s is not found either: its id tells nothing.
    """
    app = await AppRepository(session).get(app_code, for_update=for_update)
    if app is None or not by.sees(app.merchant_id):
        raise NotFound("App not found", code="app_not_found")
    return app


async def list_apps(session: AsyncSession, merchant_id: int | None = None) -> list[App]:
    """Apps, optionally of one merchant."""
    return await AppRepository(session).all(merchant_id)


async def list_secrets(
    session: AsyncSession, app_code: int, by: Origin = BY_OPERATOR
) -> list[SecretRecord]:
    """The secret generations of an app (hashes only, never shown)."""
    await get_app(session, app_code, by=by)
    return await AppRepository(session).secrets(app_code)


async def create_app(
    ctx: Context,
    session: AsyncSession,
    merchant_id: int,
    *,
    name: str = "Default app",
    products: Iterable[str] = (),
    allowed_ips: Iterable[str] = (),
    refresh_policy: str = RefreshPolicy.ROTATE,
    by: Origin = BY_OPERATOR,
) -> AppCredentials:
    """Create an app and its first secret; the secret is returned here and never again."""
    if not by.sees(merchant_id):
        raise NotFound(f"merchant {merchant_id} not found", code="merchant_not_found")
    await get_merchant(session, merchant_id)
    entries: tuple[str, ...] = ()
    for cidr in allowed_ips:
        entries = allowlists.add(entries, cidr)
    repo = AppRepository(session)
    now = ctx.clock()
    app = App(
        app_code=await _free_code(ctx, repo),
        merchant_id=merchant_id,
        name=clean_name(name),
        app_key=credentials.new_app_key(ctx.rand),
        active=True,
        products=parse_products(products),
        allowed_ips=entries,
        refresh_policy=parse_refresh_policy(refresh_policy),
        created_at=now,
    )
    await repo.add(app)
    secret = credentials.new_app_secret(ctx.rand)
    digest = credentials.hash_secret(ctx.keys.pepper, secret)
    await repo.add_secret(app.app_code, SecretRecord(1, digest, now, None))
    webhook_secret = await create_webhook_secret(ctx, session, app.app_code)
    details = {"name": app.name, "products": app.products, "allowed_ips": app.allowed_ips}
    await record_by(session, now, by, merchant_id, "app.create", _target(app), details)
    return AppCredentials(app, secret, webhook_secret)


def _target(app: App) -> str:
    return f"app:{app.app_code}"


async def _free_code(ctx: Context, repo: AppRepository) -> int:
    for _ in range(CODE_ATTEMPTS):
        code = new_app_code(int.from_bytes(ctx.rand(8)))
        if not await repo.code_taken(code):
            return code
    raise RuntimeError("could not find a free app code")


async def rotate_secret(
    ctx: Context,
    session: AsyncSession,
    app_code: int,
    overlap: int = 0,
    by: Origin = BY_OPERATOR,
) -> AppCredentials:
    """Issue a new secret; the old one (and tokens under it) ends after `overlap` seconds."""
    app = await get_app(session, app_code, for_update=True, by=by)  # one rotation at a time
    repo = AppRepository(session)
    now = ctx.clock()
    secret = credentials.new_app_secret(ctx.rand)
    digest = credentials.hash_secret(ctx.keys.pepper, secret)
    record, old_ends = credentials.rotate(await repo.secrets(app_code), digest, now, overlap)
    await repo.expire_secrets(app_code, record.generation, old_ends)
    await repo.add_secret(app_code, record)
    await ChangeRepository(session).record(ChangeKind.APP, str(app_code), now)
    details = {"generation": record.generation, "overlap_seconds": overlap}
    await record_by(session, now, by, app.merchant_id, "app.rotate_secret", _target(app), details)
    return AppCredentials(app, secret, None, record.generation, old_ends)


async def _update(
    ctx: Context,
    session: AsyncSession,
    app_code: int,
    change: Callable[[App], App],
    action: str,
    by: Origin,
) -> App:
    # Locked: concurrent changes (allow-ip and disallow-ip, say) must not undo each other.
    app = await get_app(session, app_code, for_update=True, by=by)
    changed = change(app)
    if changed != app:
        now = ctx.clock()
        await AppRepository(session).save(changed, now)
        await ChangeRepository(session).record(ChangeKind.APP, str(app_code), now)
        details = _changed_fields(app, changed)
        await record_by(session, now, by, app.merchant_id, action, _target(app), details)
    return changed


def _changed_fields(before: App, after: App) -> dict[str, object]:
    """What a change did, as `{field: new value}` plus the old value under `previous`."""
    names = ("name", "active", "products", "allowed_ips", "refresh_policy", "webhook_url")
    changed = [n for n in names if getattr(before, n) != getattr(after, n)]
    return {n: getattr(after, n) for n in changed} | {
        "previous": {n: getattr(before, n) for n in changed}
    }


async def set_active(
    ctx: Context, session: AsyncSession, app_code: int, active: bool, by: Origin = BY_OPERATOR
) -> App:
    """Activate or deactivate an app (a live state: tokens are not revoked)."""
    action = "app.activate" if active else "app.deactivate"
    return await _update(ctx, session, app_code, lambda a: replace(a, active=active), action, by)


async def set_products(
    ctx: Context,
    session: AsyncSession,
    app_code: int,
    products: Iterable[str],
    by: Origin = BY_OPERATOR,
) -> App:
    """Replace the app's products; a merchant's user may enable only granted ones.

    The operator, who grants products, may set any on an app directly.
    """
    parsed = parse_products(products)
    if by.merchant_id is not None:
        merchant = await get_merchant(session, by.merchant_id)
        stored = await session.run_sync(lambda s: grants_of(s.connection(), merchant.id))
        granted = grants.effective(stored, merchant.status, ctx.settings.env)
        grants.check_granted(parsed, granted)
    change: Callable[[App], App] = lambda a: replace(a, products=parsed)  # noqa: E731
    return await _update(ctx, session, app_code, change, "app.set_products", by)


async def set_name(
    ctx: Context, session: AsyncSession, app_code: int, name: str, by: Origin = BY_OPERATOR
) -> App:
    """Rename an app."""
    cleaned = clean_name(name)
    return await _update(
        ctx, session, app_code, lambda a: replace(a, name=cleaned), "app.rename", by
    )


async def set_allowed_ips(
    ctx: Context,
    session: AsyncSession,
    app_code: int,
    entries: Iterable[str],
    by: Origin = BY_OPERATOR,
) -> App:
    """Replace the app's allowlist (each entry validated as `allow_ip` does)."""
    cleaned = allowlists.replace_all(entries)
    change: Callable[[App], App] = lambda a: replace(a, allowed_ips=cleaned)  # noqa: E731
    return await _update(ctx, session, app_code, change, "app.set_allowed_ips", by)


async def allow_ip(
    ctx: Context, session: AsyncSession, app_code: int, cidr: str, by: Origin = BY_OPERATOR
) -> App:
    """Add a CIDR to the app's allowlist."""
    change: Callable[[App], App] = lambda a: replace(  # noqa: E731
        a, allowed_ips=allowlists.add(a.allowed_ips, cidr)
    )
    return await _update(ctx, session, app_code, change, "app.allow_ip", by)


async def disallow_ip(
    ctx: Context, session: AsyncSession, app_code: int, cidr: str, by: Origin = BY_OPERATOR
) -> App:
    """Remove a CIDR from the app's allowlist."""
    change: Callable[[App], App] = lambda a: replace(  # noqa: E731
        a, allowed_ips=allowlists.remove(a.allowed_ips, cidr)
    )
    return await _update(ctx, session, app_code, change, "app.disallow_ip", by)


async def set_webhook_url(
    ctx: Context,
    session: AsyncSession,
    app_code: int,
    url: str | None,
    by: Origin = BY_OPERATOR,
) -> App:
    """Where the app's security events go (None: nowhere, they are only recorded)."""
    if url is not None:
        url = check_callback_url(url, ctx.settings.allow_private_callbacks, field="webhook_url")
    change: Callable[[App], App] = lambda a: replace(a, webhook_url=url)  # noqa: E731
    return await _update(ctx, session, app_code, change, "app.set_webhook_url", by)


async def rotate_app_webhook_secret(
    ctx: Context,
    session: AsyncSession,
    app_code: int,
    overlap: int = 0,
    by: Origin = BY_OPERATOR,
) -> AppCredentials:
    """A new webhook secret, shown once; the old one also signs for `overlap` seconds."""
    app = await get_app(session, app_code, for_update=True, by=by)  # one rotation at a time
    secret = await rotate_webhook_secret(ctx, session, app_code, overlap)
    details = {"overlap_seconds": overlap}
    await record_by(
        session,
        ctx.clock(),
        by,
        app.merchant_id,
        "app.rotate_webhook_secret",
        _target(app),
        details,
    )
    return AppCredentials(app, "", secret)


async def set_refresh_policy(
    ctx: Context, session: AsyncSession, app_code: int, policy: str, by: Origin = BY_OPERATOR
) -> App:
    """Choose `rotate` or `reusable` refresh tokens for the app."""
    parsed = parse_refresh_policy(policy)
    change: Callable[[App], App] = lambda a: replace(a, refresh_policy=parsed)  # noqa: E731
    return await _update(ctx, session, app_code, change, "app.set_refresh_policy", by)
