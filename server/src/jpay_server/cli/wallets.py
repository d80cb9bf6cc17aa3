"""`jpay-server wallets`: fund a sandbox payout wallet, show balances."""

from __future__ import annotations

from typing import Annotated

import typer

from jpay_server.cli.common import JsonFlag, emit, read, run
from jpay_server.services import wallets as service
from jpay_server.services.merchants import get_merchant

app = typer.Typer(help="Merchant wallets.", no_args_is_help=True)
MerchantId = Annotated[int, typer.Argument(help="The merchant's id.")]


@app.command()
def fund(
    merchant_id: MerchantId,
    amount: Annotated[str, typer.Argument(help="KES with two decimals, e.g. 5000.00.")],
    as_json: JsonFlag = False,
) -> None:
    """Credit a merchant's payout wallet (sandbox top-up); prints the new balances."""
    balances = run(lambda ctx, db: service.fund(ctx, db, merchant_id, amount))
    emit({"merchant_id": merchant_id, **balances.as_wire()}, as_json)


@app.command()
def balance(merchant_id: MerchantId, as_json: JsonFlag = False) -> None:
    """Show a merchant's balances."""
    run(lambda _ctx, db: get_merchant(db, merchant_id))
    found = read(lambda conn: service.balances(conn, merchant_id))
    emit({"merchant_id": merchant_id, **found.as_wire()}, as_json)
