"""App use cases: create, rotate the secret, (de)activate, products, allowlist, refresh policy."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import Connection

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
from jpay_server.services.merchants import effective_grants, merchant_of
from jpay_server.services.webhooks import create_webhook_secret, rotate_webhook_secret
from jpay_server.store.apps import (
    add_app,
    add_secret,
    app_by_code,
    app_code_taken,
    apps_of,
    expire_secrets,
    save_app,
    secrets_of,
)
from jpay_server.store.changes import ChangeKind, record_change
from jpay_server.store.db import Database

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


def app_of(
    conn: Connection, app_code: int, *, for_update: bool = False, by: Origin = BY_OPERATOR
) -> App:
    """The app, or NotFound ("App not found", as JPay documents); optionally row-locked.

    An app of another merchant than `by`'s is not found either: its id tells nothing.
    """
    app = app_by_code(conn, app_code, for_update=for_update)
    if app is None or not by.sees(app.merchant_id):
        raise NotFound("App not found", code="app_not_found")
    return app


async def get_app(database: Database, app_code: int, by: Origin = BY_OPERATOR) -> App:
    """The app, or NotFound."""
    return await database.read(lambda conn: app_of(conn, app_code, by=by))


async def list_apps(database: Database, merchant_id: int | None = None) -> list[App]:
    """Apps, optionally of one merchant."""
    return await database.read(lambda conn: apps_of(conn, merchant_id))


async def list_secrets(
    database: Database, app_code: int, by: Origin = BY_OPERATOR
) -> list[SecretRecord]:
    """The secret generations of an app (hashes only, never shown)."""

    def query(conn: Connection) -> list[SecretRecord]:
        app_of(conn, app_code, by=by)
        return secrets_of(conn, app_code)

    return await database.read(query)


async def create_app(
    ctx: Context,
    database: Database,
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
    entries: tuple[str, ...] = ()
    for cidr in allowed_ips:
        entries = allowlists.add(entries, cidr)
    parsed, policy = parse_products(products), parse_refresh_policy(refresh_policy)
    cleaned = clean_name(name)
    secret = credentials.new_app_secret(ctx.rand)
    digest = credentials.hash_secret(ctx.keys.pepper, secret)

    def command(conn: Connection) -> AppCredentials:
        merchant_of(conn, merchant_id)
        now = ctx.clock()
        app = App(
            app_code=_free_code(ctx, conn),
            merchant_id=merchant_id,
            name=cleaned,
            app_key=credentials.new_app_key(ctx.rand),
            active=True,
            products=parsed,
            allowed_ips=entries,
            refresh_policy=policy,
            created_at=now,
        )
        add_app(conn, app)
        add_secret(conn, app.app_code, SecretRecord(1, digest, now, None))
        webhook_secret = create_webhook_secret(ctx, conn, app.app_code)
        details = {"name": app.name, "products": app.products, "allowed_ips": app.allowed_ips}
        record_by(conn, now, by, merchant_id, "app.create", _target(app), details)
        return AppCredentials(app, secret, webhook_secret)

    return await database.write(command)


def _target(app: App) -> str:
    return f"app:{app.app_code}"


def _free_code(ctx: Context, conn: Connection) -> int:
    for _ in range(CODE_ATTEMPTS):
        code = new_app_code(int.from_bytes(ctx.rand(8)))
        if not app_code_taken(conn, code):
            return code
    raise RuntimeError("could not find a free app code")


async def rotate_secret(
    ctx: Context,
    database: Database,
    app_code: int,
    overlap: int = 0,
    by: Origin = BY_OPERATOR,
) -> AppCredentials:
    """Issue a new secret; the old one (and tokens under it) ends after `overlap` seconds."""
    secret = credentials.new_app_secret(ctx.rand)
    digest = credentials.hash_secret(ctx.keys.pepper, secret)

    def command(conn: Connection) -> AppCredentials:
        app = app_of(conn, app_code, for_update=True, by=by)  # one rotation at a time
        now = ctx.clock()
        record, old_ends = credentials.rotate(secrets_of(conn, app_code), digest, now, overlap)
        expire_secrets(conn, app_code, record.generation, old_ends)
        add_secret(conn, app_code, record)
        record_change(conn, ChangeKind.APP, str(app_code), now)
        details = {"generation": record.generation, "overlap_seconds": overlap}
        record_by(conn, now, by, app.merchant_id, "app.rotate_secret", _target(app), details)
        return AppCredentials(app, secret, None, record.generation, old_ends)

    return await database.write(command)


async def _update(
    ctx: Context,
    database: Database,
    app_code: int,
    change: Callable[[App], App],
    action: str,
    by: Origin,
) -> App:
    def command(conn: Connection) -> App:
        # Locked: concurrent changes (allow-ip and disallow-ip, say) must not undo each other.
        app = app_of(conn, app_code, for_update=True, by=by)
        changed = change(app)
        if changed != app:
            now = ctx.clock()
            save_app(conn, changed, now)
            record_change(conn, ChangeKind.APP, str(app_code), now)
            details = _changed_fields(app, changed)
            record_by(conn, now, by, app.merchant_id, action, _target(app), details)
        return changed

    return await database.write(command)


def _changed_fields(before: App, after: App) -> dict[str, object]:
    """What a change did, as `{field: new value}` plus the old value under `previous`."""
    names = ("name", "active", "products", "allowed_ips", "refresh_policy", "webhook_url")
    changed = [n for n in names if getattr(before, n) != getattr(after, n)]
    return {n: getattr(after, n) for n in changed} | {
        "previous": {n: getattr(before, n) for n in changed}
    }


async def set_active(
    ctx: Context, database: Database, app_code: int, active: bool, by: Origin = BY_OPERATOR
) -> App:
    """Activate or deactivate an app (a live state: tokens are not revoked)."""
    action = "app.activate" if active else "app.deactivate"
    return await _update(ctx, database, app_code, lambda a: replace(a, active=active), action, by)


async def set_products(
    ctx: Context,
    database: Database,
    app_code: int,
    products: Iterable[str],
    by: Origin = BY_OPERATOR,
) -> App:
    """Replace the app's products; a merchant's user may enable only granted ones.

    The operator, who grants products, may set any on an app directly.
    """
    parsed = parse_products(products)
    if by.merchant_id is not None:
        merchant_id = by.merchant_id
        granted = await database.read(lambda conn: effective_grants(ctx, conn, merchant_id))
        grants.check_granted(parsed, granted)
    change: Callable[[App], App] = lambda a: replace(a, products=parsed)  # noqa: E731
    return await _update(ctx, database, app_code, change, "app.set_products", by)


async def set_name(
    ctx: Context, database: Database, app_code: int, name: str, by: Origin = BY_OPERATOR
) -> App:
    """Rename an app."""
    cleaned = clean_name(name)
    return await _update(
        ctx, database, app_code, lambda a: replace(a, name=cleaned), "app.rename", by
    )


async def set_allowed_ips(
    ctx: Context,
    database: Database,
    app_code: int,
    entries: Iterable[str],
    by: Origin = BY_OPERATOR,
) -> App:
    """Replace the app's allowlist (each entry validated as `allow_ip` does)."""
    cleaned = allowlists.replace_all(entries)
    change: Callable[[App], App] = lambda a: replace(a, allowed_ips=cleaned)  # noqa: E731
    return await _update(ctx, database, app_code, change, "app.set_allowed_ips", by)


async def allow_ip(
    ctx: Context, database: Database, app_code: int, cidr: str, by: Origin = BY_OPERATOR
) -> App:
    """Add a CIDR to the app's allowlist."""
    change: Callable[[App], App] = lambda a: replace(  # noqa: E731
        a, allowed_ips=allowlists.add(a.allowed_ips, cidr)
    )
    return await _update(ctx, database, app_code, change, "app.allow_ip", by)


async def disallow_ip(
    ctx: Context, database: Database, app_code: int, cidr: str, by: Origin = BY_OPERATOR
) -> App:
    """Remove a CIDR from the app's allowlist."""
    change: Callable[[App], App] = lambda a: replace(  # noqa: E731
        a, allowed_ips=allowlists.remove(a.allowed_ips, cidr)
    )
    return await _update(ctx, database, app_code, change, "app.disallow_ip", by)


async def set_webhook_url(
    ctx: Context,
    database: Database,
    app_code: int,
    url: str | None,
    by: Origin = BY_OPERATOR,
) -> App:
    """Where the app's security events go (None: nowhere, they are only recorded)."""
    if url is not None:
        url = check_callback_url(url, ctx.settings.allow_private_callbacks, field="webhook_url")
    change: Callable[[App], App] = lambda a: replace(a, webhook_url=url)  # noqa: E731
    return await _update(ctx, database, app_code, change, "app.set_webhook_url", by)


async def rotate_app_webhook_secret(
    ctx: Context,
    database: Database,
    app_code: int,
    overlap: int = 0,
    by: Origin = BY_OPERATOR,
) -> AppCredentials:
    """A new webhook secret, shown once; the old one also signs for `overlap` seconds."""

    def command(conn: Connection) -> AppCredentials:
        app = app_of(conn, app_code, for_update=True, by=by)  # one rotation at a time
        secret = rotate_webhook_secret(ctx, conn, app_code, overlap)
        details = {"overlap_seconds": overlap}
        action = "app.rotate_webhook_secret"
        record_by(conn, ctx.clock(), by, app.merchant_id, action, _target(app), details)
        return AppCredentials(app, "", secret)

    return await database.write(command)


async def set_refresh_policy(
    ctx: Context, database: Database, app_code: int, policy: str, by: Origin = BY_OPERATOR
) -> App:
    """Choose `rotate` or `reusable` refresh tokens for the app."""
    parsed = parse_refresh_policy(policy)
    change: Callable[[App], App] = lambda a: replace(a, refresh_policy=parsed)  # noqa: E731
    return await _update(ctx, database, app_code, change, "app.set_refresh_policy", by)
