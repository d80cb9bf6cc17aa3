"""Channels: the banks and mobile-money networks money can move through."""

from __future__ import annotations

from typing import TYPE_CHECKING

from jpay._call import Call
from jpay._models import ChannelPage
from jpay._resources._common import query

if TYPE_CHECKING:
    from jpay._client import AsyncJPay, JPay


def _list(
    type: str | None, active_only: bool | None, page: int | None, page_size: int | None
) -> Call[ChannelPage]:
    params = query(type=type, active_only=active_only, page=page, page_size=page_size)
    return Call("GET", "/channels", ChannelPage.from_json, params)


class Channels:
    """`client.channels`: list channels."""

    def __init__(self, client: JPay) -> None:
        self._client = client

    def list(
        self,
        *,
        type: str | None = None,
        active_only: bool | None = None,
        page: int | None = None,
        page_size: int | None = None,
    ) -> ChannelPage:
        """Channels ordered by code; `type` is "bank", "mobile_money" or "internal"."""
        return self._client._request(_list(type, active_only, page, page_size))


class AsyncChannels:
    """`client.channels` of AsyncJPay: list channels."""

    def __init__(self, client: AsyncJPay) -> None:
        self._client = client

    async def list(
        self,
        *,
        type: str | None = None,
        active_only: bool | None = None,
        page: int | None = None,
        page_size: int | None = None,
    ) -> ChannelPage:
        """Channels ordered by code; `type` is "bank", "mobile_money" or "internal"."""
        return await self._client._request(_list(type, active_only, page, page_size))
