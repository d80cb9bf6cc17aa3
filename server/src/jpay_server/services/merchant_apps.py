"""The merchant API's app use cases: a merchant's users manage their own apps.

Each function takes the `Member` the route authenticated and the client IP, runs one whole
use case in one transaction, and goes through the same app services the operator's CLI uses,
with an `Origin` that scopes them to the member's merchant (another merchant's app is not
found) and audits each change as that user. Changes reach the access change log in the same
transaction, so they bite on issued tokens within a second on every process.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Connection

from jpay_server.domain.apps import App
from jpay_server.domain.audit import Actor, Origin
from jpay_server.domain.credentials import SecretRecord
from jpay_server.domain.members import Member
from jpay_server.domain.refusals import Refusal
from jpay_server.services import apps as service
from jpay_server.services.apps import AppCredentials
from jpay_server.services.context import Context
from jpay_server.services.merchants import effective_grants
from jpay_server.services.refusals import list_refusals
from jpay_server.store.apps import secrets_of
from jpay_server.store.db import Database


def origin(member: Member, client_ip: str | None) -> Origin:
    """A member acting from `client_ip`, within their merchant."""
    return Origin(Actor.user(member.user_id), client_ip, member.merchant_id)


@dataclass(frozen=True, slots=True)
class AppDetail:
    """An app as its merchant sees it: settings, secret generations, what may be enabled."""

    app: App
    secrets: tuple[SecretRecord, ...]
    granted_products: frozenset[str]


async def list_apps(ctx: Context, database: Database, member: Member) -> list[App]:
    """The member's merchant's apps, oldest first."""
    return await service.list_apps(database, member.merchant_id)


async def app_detail(ctx: Context, database: Database, member: Member, app_code: int) -> AppDetail:
    """One of the merchant's apps with its secret generations (never the secrets)."""
    by = origin(member, None)

    def query(conn: Connection) -> AppDetail:
        app = service.app_of(conn, app_code, by=by)
        secrets = secrets_of(conn, app_code)
        granted = effective_grants(ctx, conn, member.merchant_id)
        return AppDetail(app, tuple(secrets), granted)

    return await database.read(query)


async def create_app(
    ctx: Context, database: Database, member: Member, client_ip: str | None, name: str
) -> AppCredentials:
    """A new app with no products and an open allowlist; its secret is shown once."""
    by = origin(member, client_ip)
    return await service.create_app(ctx, database, member.merchant_id, name=name, by=by)


async def rename_app(
    ctx: Context,
    database: Database,
    member: Member,
    client_ip: str | None,
    app_code: int,
    name: str,
) -> App:
    """Rename one of the merchant's apps."""
    by = origin(member, client_ip)
    return await service.set_name(ctx, database, app_code, name, by)


async def set_active(
    ctx: Context,
    database: Database,
    member: Member,
    client_ip: str | None,
    app_code: int,
    active: bool,
) -> App:
    """Deactivate (403 `app_inactive` on its tokens) or activate an app again."""
    by = origin(member, client_ip)
    return await service.set_active(ctx, database, app_code, active, by)


async def set_refresh_policy(
    ctx: Context,
    database: Database,
    member: Member,
    client_ip: str | None,
    app_code: int,
    policy: str,
) -> App:
    """Choose `rotate` or `reusable` refresh tokens."""
    by = origin(member, client_ip)
    return await service.set_refresh_policy(ctx, database, app_code, policy, by)


async def set_allowed_ips(
    ctx: Context,
    database: Database,
    member: Member,
    client_ip: str | None,
    app_code: int,
    entries: Iterable[str],
) -> App:
    """Replace the app's IP allowlist (an empty list allows any address)."""
    by = origin(member, client_ip)
    wanted = list(entries)
    return await service.set_allowed_ips(ctx, database, app_code, wanted, by)


async def set_products(
    ctx: Context,
    database: Database,
    member: Member,
    client_ip: str | None,
    app_code: int,
    products: Iterable[str],
) -> App:
    """Enable exactly these products on the app, within the merchant's grant."""
    by = origin(member, client_ip)
    wanted = list(products)
    return await service.set_products(ctx, database, app_code, wanted, by)


async def rotate_secret(
    ctx: Context,
    database: Database,
    member: Member,
    client_ip: str | None,
    app_code: int,
    overlap_seconds: int,
) -> AppCredentials:
    """A new app_secret, shown once; the old one works `overlap_seconds` longer."""
    by = origin(member, client_ip)
    return await service.rotate_secret(ctx, database, app_code, overlap_seconds, by)


async def refused_requests(
    ctx: Context, database: Database, member: Member, app_code: int
) -> list[Refusal]:
    """The app's last refused requests, newest first."""
    await service.get_app(database, app_code, by=origin(member, None))
    return await list_refusals(database, app_code)
