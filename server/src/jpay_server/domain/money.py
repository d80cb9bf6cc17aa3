"""Money: KES amounts as 2-decimal strings on the wire, integer cents everywhere else."""

from __future__ import annotations

import re

from jpay_server.errors import InvalidRequest

MIN_CENTS = 100  # 1.00
MAX_CENTS = 99_999_999  # 999999.99
_AMOUNT = re.compile(r"(0|[1-9][0-9]{0,8})\.([0-9]{2})")  # fullmatch: "$" allows "\n"


def invalid_amount() -> InvalidRequest:
    """JPay's error for a malformed or out-of-range amount."""
    return InvalidRequest("Invalid amount", code="invalid_amount", field="amount")


def parse_amount(value: object) -> int:
    """Cents from a string with exactly two decimals, 1.00 to 999999.99."""
    if not isinstance(value, str):
        raise invalid_amount()
    match = _AMOUNT.fullmatch(value)
    if not match:
        raise invalid_amount()
    cents = int(match.group(1)) * 100 + int(match.group(2))
    if not MIN_CENTS <= cents <= MAX_CENTS:
        raise invalid_amount()
    return cents


def format_cents(cents: int) -> str:
    """A 2-decimal string for an amount in cents (negative amounts keep their sign)."""
    sign = "-" if cents < 0 else ""
    whole, part = divmod(abs(cents), 100)
    return f"{sign}{whole}.{part:02d}"
