"""Channels: the banks and mobile-money networks money can move through."""

from __future__ import annotations

from jpay._call import Call
from jpay._models import ChannelPage
from jpay._resources._common import query
from jpay._resources._endpoint import AsyncResource, Resource, async_endpoint, endpoint


def _list(
    *,
    type: str | None = None,
    active_only: bool | None = None,
    page: int | None = None,
    page_size: int | None = None,
) -> Call[ChannelPage]:
    """Channels ordered by code; `type` is "bank", "mobile_money" or "internal"."""
    params = query(type=type, active_only=active_only, page=page, page_size=page_size)
    return Call("GET", "/channels", ChannelPage.from_json, params)


class Channels(Resource):
    """`client.channels`: list channels."""

    list = endpoint(_list)


class AsyncChannels(AsyncResource):
    """`client.channels` of AsyncJPay: list channels."""

    list = async_endpoint(_list)
