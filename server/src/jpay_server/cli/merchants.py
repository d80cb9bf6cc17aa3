"""`jpay-server merchants`: create, approve, suspend, reinstate, list, set-products, invite."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from jpay_server.cli.common import JsonFlag, emit, emit_rows, run
from jpay_server.domain.audit import BY_OPERATOR
from jpay_server.domain.members import Role
from jpay_server.domain.merchants import Merchant
from jpay_server.services import merchants as service
from jpay_server.services.accounts import invite as invite_member

app = typer.Typer(help="Manage merchants.", no_args_is_help=True)
MerchantId = Annotated[int, typer.Argument(help="The merchant's id.")]


def _record(m: Merchant) -> dict[str, Any]:
    return {"merchant_id": m.id, "name": m.name, "status": m.status}


@app.command()
def create(
    name: Annotated[str, typer.Option("--name", help="The merchant's name.")],
    approved: Annotated[bool, typer.Option("--approved", help="Approve at once.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Create a merchant (pending unless --approved)."""
    merchant = run(lambda ctx, db: service.create_merchant(ctx, db, name, approved))
    emit(_record(merchant), as_json)


@app.command()
def approve(merchant_id: MerchantId, as_json: JsonFlag = False) -> None:
    """Approve a pending merchant."""
    emit(_record(run(lambda ctx, db: service.approve_merchant(ctx, db, merchant_id))), as_json)


@app.command()
def suspend(merchant_id: MerchantId, as_json: JsonFlag = False) -> None:
    """Suspend a merchant: its apps get 403 within a second, on every server."""
    emit(_record(run(lambda ctx, db: service.suspend_merchant(ctx, db, merchant_id))), as_json)


@app.command()
def reinstate(merchant_id: MerchantId, as_json: JsonFlag = False) -> None:
    """Lift a suspension."""
    emit(_record(run(lambda ctx, db: service.reinstate_merchant(ctx, db, merchant_id))), as_json)


@app.command("list")
def list_(as_json: JsonFlag = False) -> None:
    """List merchants."""
    merchants = run(lambda _ctx, db: service.list_merchants(db))
    rows = [_record(m) | {"created_at": m.created_at} for m in merchants]
    emit_rows(rows, ["merchant_id", "name", "status", "created_at"], as_json, "merchants")


@app.command("set-products")
def set_products(
    merchant_id: MerchantId,
    product: Annotated[
        list[str] | None,
        typer.Option("--product", help="collections or payouts; repeatable. None: no products."),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Grant exactly these products to a merchant; its developers enable them per app."""

    granted, effective = run(
        lambda ctx, db: service.set_products(ctx, db, merchant_id, product or ())
    )
    record = {
        "merchant_id": merchant_id,
        "granted": sorted(granted),
        "effective": sorted(effective),
    }
    emit(record, as_json)


@app.command()
def invite(
    merchant_id: MerchantId,
    email: Annotated[str, typer.Option("--email", help="Who to invite.")],
    role: Annotated[Role, typer.Option("--role", help="Their role on the team.")] = Role.OWNER,
    as_json: JsonFlag = False,
) -> None:
    """Invite someone to a merchant's team: emails a single-use link (7 days) and prints it."""
    invitation = run(lambda ctx, db: invite_member(ctx, db, merchant_id, email, role, BY_OPERATOR))
    emit({"invite_url": invitation.invite_url, "expires_at": invitation.expires_at}, as_json)
