"""What every resource needs: amounts and query parameters in their wire form."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from urllib.parse import quote

Amount = Decimal | str | int
Param = str | int | bool | date | None
CENT = Decimal("0.01")


def wire_amount(amount: Amount) -> str:
    """The wire form of an amount: a string with exactly two decimals ("100.00").

    Whole cents in any form ("100", 100, Decimal("99.5")) are written with two decimals;
    anything else (more decimals, not a number) is sent as given, for the server to refuse
    with its documented 400 `invalid_amount`. Floats are refused here: they cannot hold cents.
    """
    if isinstance(amount, bool) or not isinstance(amount, Decimal | str | int):
        raise TypeError("amount must be a Decimal, a str or an int (a float cannot hold cents)")
    try:
        value = Decimal(amount) if not isinstance(amount, Decimal) else amount
    except InvalidOperation:
        return str(amount)
    exponent = value.normalize().as_tuple().exponent if value.is_finite() else None
    if not isinstance(exponent, int) or exponent < -2:
        return str(amount)
    return f"{value:.2f}"


def query(**params: Param) -> dict[str, str | int]:
    """Query parameters without the unset ones; dates as YYYY-MM-DD, booleans as true/false."""
    result: dict[str, str | int] = {}
    for name, value in params.items():
        if value is None:
            continue
        if isinstance(value, bool):
            result[name] = "true" if value else "false"
        elif isinstance(value, date):
            result[name] = value.isoformat()
        else:
            result[name] = value
    return result


def path_id(value: str) -> str:
    """An id as one path segment (escaped, so it can never change the path)."""
    if not isinstance(value, str) or not value:
        raise ValueError("an id must be a non-empty string")
    return quote(value, safe="")


def body(**fields: object) -> dict[str, object]:
    """A request body without the unset optional fields."""
    return {name: value for name, value in fields.items() if value is not None}
