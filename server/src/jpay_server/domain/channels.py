"""Payment channels: mobile-money networks and banks, identified by an integer code."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from jpay_server.errors import InvalidRequest


class ChannelType(StrEnum):
    """The kinds of channel, as `GET /channels` names them."""

    MOBILE_MONEY = "mobile_money"
    BANK = "bank"
    INTERNAL = "internal"

    @property
    def display(self) -> str:
        """The human label: "Mobile Money", "Bank", "Internal"."""
        return {"mobile_money": "Mobile Money", "bank": "Bank", "internal": "Internal"}[self]


@dataclass(frozen=True, slots=True)
class Channel:
    """A channel; `display_name` is the name transaction responses use ("M-Pesa")."""

    code: int
    name: str
    type: ChannelType
    display_name: str
    is_active: bool = True


# The channels the JPay docs show (the catalogue has 40; operators add the rest).
DOCUMENTED = (
    Channel(0, "JPay", ChannelType.INTERNAL, "JPay"),
    Channel(1, "KCB", ChannelType.BANK, "KCB"),
    Channel(7, "NCBA", ChannelType.BANK, "NCBA"),
    Channel(68, "Equity Bank", ChannelType.BANK, "Equity Bank"),
    Channel(63902, "MPesa", ChannelType.MOBILE_MONEY, "M-Pesa"),
    Channel(63903, "AirtelMoney", ChannelType.MOBILE_MONEY, "Airtel Money"),
    Channel(63907, "T-Kash", ChannelType.MOBILE_MONEY, "T-Kash"),
)


def invalid_channel(detail: str = "Invalid channel") -> InvalidRequest:
    """A channel that does not exist, is inactive, or does not fit the request."""
    return InvalidRequest(detail, code="invalid_channel", field="channel")


def usable(channel: Channel | None) -> Channel:
    """The channel, if it exists and is active."""
    if channel is None or not channel.is_active:
        raise invalid_channel()
    return channel


def new_channel(code: int, name: str, type_: str, display_name: str | None) -> Channel:
    """Validate an operator-added channel."""
    if not 0 <= code <= 2_147_483_647:
        raise InvalidRequest("channel code must be a non-negative 32-bit integer", field="code")
    try:
        kind = ChannelType(type_)
    except ValueError:
        raise InvalidRequest(
            "type must be one of: mobile_money, bank, internal", field="type"
        ) from None
    name = name.strip()
    if not 0 < len(name) <= 100:
        raise InvalidRequest("name must be 1-100 characters", field="name")
    return Channel(code, name, kind, (display_name or name).strip()[:100])
