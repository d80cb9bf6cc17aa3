"""Phone numbers: E.164 validation and the carrier that decides a mobile-money channel."""

from __future__ import annotations

from dataclasses import dataclass

import phonenumbers
from phonenumbers import carrier

from jpay_server.errors import InvalidRequest

MAX_CHARS = 16  # "+" and at most 15 digits (E.164)

# The docs: "Safaricom → M-Pesa, Airtel → Airtel Money, Telkom → T-Kash".
CARRIER_CHANNELS = {"Safaricom": 63902, "Airtel": 63903, "Telkom": 63907}


@dataclass(frozen=True, slots=True)
class Phone:
    """A valid E.164 number and its carrier (by number range; empty when unknown)."""

    e164: str
    carrier: str


def invalid_phone(field: str) -> InvalidRequest:
    """JPay's error for a number that is not valid E.164."""
    return InvalidRequest("Invalid phone number", code="invalid_phone_number", field=field)


def parse_phone(value: str, field: str) -> Phone:
    """Parse a strict E.164 number ("+254712345678"); anything else is Invalid phone number."""
    if not value.startswith("+") or len(value) > MAX_CHARS or not value[1:].isdigit():
        raise invalid_phone(field)
    try:
        number = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException:
        raise invalid_phone(field) from None
    if not phonenumbers.is_valid_number(number):
        raise invalid_phone(field)
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return Phone(e164, carrier.name_for_number(number, "en"))


def without_plus(value: str) -> bool:
    """A Kenyan mobile number written locally or without "+" (0712345678, 254712345678).

    The docs' error-codes page gives both as examples of "Invalid phone number"; without a
    bank channel, a payout's `payto` shaped like one is a phone the merchant mis-wrote.
    """
    if not value.isascii() or not value.isdigit() or len(value) > MAX_CHARS:
        return False
    written = "+" + value if value.startswith("254") else value
    try:
        number = phonenumbers.parse(written, "KE")
    except phonenumbers.NumberParseException:
        return False
    mobile = phonenumbers.number_type(number) == phonenumbers.PhoneNumberType.MOBILE
    return mobile and phonenumbers.is_valid_number(number)


def inferred_channel(phone: Phone) -> int | None:
    """The mobile-money channel the number's carrier implies, if any."""
    return CARRIER_CHANNELS.get(phone.carrier)
