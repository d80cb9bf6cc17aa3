"""Channel use cases: the catalogue merchants list and operators extend."""

from __future__ import annotations

from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import AsyncSession

from jpay_server.domain.channels import Channel, ChannelType, new_channel
from jpay_server.errors import Conflict, NotFound
from jpay_server.store.channels import ChannelRepository, channel_page


def list_channels(
    conn: Connection, kind: ChannelType | None, active_only: bool, page: int, page_size: int
) -> tuple[int, list[Channel]]:
    """A page of the catalogue and the number of matching channels."""
    return channel_page(conn, kind, active_only, (page - 1) * page_size, page_size)


async def add_channel(
    session: AsyncSession, code: int, name: str, type_: str, display_name: str | None
) -> Channel:
    """Add a channel to the catalogue."""
    channel = new_channel(code, name, type_, display_name)
    repo = ChannelRepository(session)
    if await repo.get(code) is not None:
        raise Conflict(f"channel {code} already exists", code="duplicate_channel")
    await repo.add(channel)
    return channel


async def set_channel_active(session: AsyncSession, code: int, active: bool) -> Channel:
    """Enable or disable a channel for new payments."""
    repo = ChannelRepository(session)
    channel = await repo.get(code)
    if channel is None:
        raise NotFound(f"channel {code} not found", code="channel_not_found")
    await repo.set_active(code, active)
    return Channel(channel.code, channel.name, channel.type, channel.display_name, active)
