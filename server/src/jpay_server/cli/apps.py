"""`jpay-server apps`: create, rotate secrets, (de)activate, products, allowlist, policy."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from jpay_server.cli.common import JsonFlag, emit, emit_rows, fail, run, stderr
from jpay_server.domain.apps import App
from jpay_server.services import apps as service
from jpay_server.services.apps import AppCredentials

app = typer.Typer(help="Manage apps and their credentials.", no_args_is_help=True)
AppCode = Annotated[int, typer.Argument(help="The app's code.")]
Products = Annotated[
    list[str] | None, typer.Option("--product", help="collections or payouts; repeatable.")
]


def _record(a: App) -> dict[str, Any]:
    return {
        "app_code": a.app_code,
        "app_key": a.app_key,
        "merchant_id": a.merchant_id,
        "name": a.name,
        "active": a.active,
        "products": a.products,
        "allowed_ips": a.allowed_ips,
        "refresh_policy": a.refresh_policy,
        "webhook_url": a.webhook_url,
    }


def _credentials(c: AppCredentials, as_json: bool) -> None:
    a = c.app
    record = {
        "app_code": a.app_code,
        "app_key": a.app_key,
        "app_secret": c.app_secret,
        "merchant_id": a.merchant_id,
        "products": a.products,
        "allowed_ips": a.allowed_ips,
        "refresh_policy": a.refresh_policy,
    }
    if c.webhook_secret is not None:
        record["webhook_secret"] = c.webhook_secret
    emit(record, as_json)
    if not as_json:
        stderr.print("Store the secrets now: they are shown once and cannot be shown again.")


@app.command()
def create(
    merchant: Annotated[int, typer.Option("--merchant", help="The owning merchant's id.")],
    name: Annotated[str, typer.Option("--name", help="A name for the app.")] = "Default app",
    product: Products = None,
    allow_ip: Annotated[
        list[str] | None, typer.Option("--allow-ip", help="An allowed CIDR; repeatable.")
    ] = None,
    refresh_policy: Annotated[
        str, typer.Option("--refresh-policy", help="rotate (default) or reusable.")
    ] = "rotate",
    as_json: JsonFlag = False,
) -> None:
    """Create an app; prints its app_key and app_secret (shown once)."""
    created = run(
        lambda ctx, db: service.create_app(
            ctx,
            db,
            merchant,
            name=name,
            products=product or (),
            allowed_ips=allow_ip or (),
            refresh_policy=refresh_policy,
        )
    )
    _credentials(created, as_json)


@app.command("rotate-secret")
def rotate_secret(
    app_code: AppCode,
    overlap: Annotated[
        int, typer.Option("--overlap", help="Seconds the old secret (and its tokens) keep working.")
    ] = 0,
    as_json: JsonFlag = False,
) -> None:
    """Issue a new app_secret; the old one stops after --overlap seconds."""
    _credentials(run(lambda ctx, db: service.rotate_secret(ctx, db, app_code, overlap)), as_json)


@app.command()
def deactivate(app_code: AppCode, as_json: JsonFlag = False) -> None:
    """Deactivate an app: its tokens get 403 until it is activated again."""
    emit(_record(run(lambda ctx, db: service.set_active(ctx, db, app_code, False))), as_json)


@app.command()
def activate(app_code: AppCode, as_json: JsonFlag = False) -> None:
    """Activate an app again."""
    emit(_record(run(lambda ctx, db: service.set_active(ctx, db, app_code, True))), as_json)


@app.command("set-products")
def set_products(app_code: AppCode, product: Products = None, as_json: JsonFlag = False) -> None:
    """Replace the app's products (none given: no products)."""
    changed = run(lambda ctx, db: service.set_products(ctx, db, app_code, product or ()))
    emit(_record(changed), as_json)


@app.command("allow-ip")
def allow_ip(
    app_code: AppCode,
    cidr: Annotated[str, typer.Argument(help="An IP or CIDR.")],
    as_json: JsonFlag = False,
) -> None:
    """Add an IP or CIDR to the app's allowlist (an empty list allows any address)."""
    emit(_record(run(lambda ctx, db: service.allow_ip(ctx, db, app_code, cidr))), as_json)


@app.command("disallow-ip")
def disallow_ip(
    app_code: AppCode,
    cidr: Annotated[str, typer.Argument(help="An IP or CIDR on the list.")],
    as_json: JsonFlag = False,
) -> None:
    """Remove an IP or CIDR from the app's allowlist."""
    emit(_record(run(lambda ctx, db: service.disallow_ip(ctx, db, app_code, cidr))), as_json)


@app.command("set-refresh-policy")
def set_refresh_policy(
    app_code: AppCode,
    policy: Annotated[str, typer.Argument(help="rotate or reusable.")],
    as_json: JsonFlag = False,
) -> None:
    """Choose single-use (rotate) or reusable refresh tokens for the app."""
    changed = run(lambda ctx, db: service.set_refresh_policy(ctx, db, app_code, policy))
    emit(_record(changed), as_json)


@app.command("rotate-webhook-secret")
def rotate_webhook_secret(
    app_code: AppCode,
    overlap: Annotated[
        int, typer.Option("--overlap", help="Seconds both secrets sign every webhook.")
    ] = 0,
    as_json: JsonFlag = False,
) -> None:
    """Issue a new webhook secret (whsec_); during --overlap webhooks carry both signatures."""
    rotated = run(lambda ctx, db: service.rotate_app_webhook_secret(ctx, db, app_code, overlap))
    emit({"app_code": rotated.app.app_code, "webhook_secret": rotated.webhook_secret}, as_json)
    if not as_json:
        stderr.print("Store the webhook secret now: it is shown once.")


@app.command("set-webhook-url")
def set_webhook_url(
    app_code: AppCode,
    url: Annotated[str | None, typer.Argument(help="Where security events go.")] = None,
    clear: Annotated[bool, typer.Option("--clear", help="Send security events nowhere.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Set (or --clear) the URL that receives the app's security events."""
    if (url is None) == (not clear):
        raise fail("give a URL or --clear", 2)
    changed = run(lambda ctx, db: service.set_webhook_url(ctx, db, app_code, url))
    emit(_record(changed), as_json)


@app.command()
def show(app_code: AppCode, as_json: JsonFlag = False) -> None:
    """Show an app and its secret generations (never the secrets)."""

    async def load(_ctx: Any, database: Any) -> dict[str, Any]:
        found = await service.get_app(database, app_code)
        secrets = await service.list_secrets(database, app_code)
        generations = [
            {
                "generation": r.generation,
                "created_at": r.created_at.isoformat(),
                "expires_at": r.expires_at.isoformat() if r.expires_at else None,
                "last_used_at": r.last_used_at.isoformat() if r.last_used_at else None,
            }
            for r in secrets
        ]
        return _record(found) | {"secrets": generations}

    record = run(load)
    if as_json:
        emit(record, True)
        return
    generations = record.pop("secrets")
    emit(record, False)
    emit_rows(generations, ["generation", "created_at", "expires_at", "last_used_at"], False, "")


@app.command("list")
def list_(
    merchant: Annotated[
        int | None, typer.Option("--merchant", help="Only this merchant's.")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """List apps."""
    apps = run(lambda _ctx, db: service.list_apps(db, merchant))
    columns = [
        "app_code",
        "merchant_id",
        "name",
        "active",
        "products",
        "allowed_ips",
        "refresh_policy",
    ]
    emit_rows([_record(a) for a in apps], columns, as_json, "apps")
