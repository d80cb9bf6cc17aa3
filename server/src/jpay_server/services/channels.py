"""Channel use cases: the catalogue merchants list and operators extend."""

from __future__ import annotations

from sqlalchemy import Connection

from jpay_server.domain.channels import Channel, ChannelType, new_channel
from jpay_server.errors import Conflict, NotFound
from jpay_server.store import channels as store
from jpay_server.store.db import Database


def list_channels(
    conn: Connection, kind: ChannelType | None, active_only: bool, page: int, page_size: int
) -> tuple[int, list[Channel]]:
    """A page of the catalogue and the number of matching channels."""
    return store.channel_page(conn, kind, active_only, (page - 1) * page_size, page_size)


async def add_channel(
    database: Database, code: int, name: str, type_: str, display_name: str | None
) -> Channel:
    """Add a channel to the catalogue."""
    channel = new_channel(code, name, type_, display_name)

    def command(conn: Connection) -> Channel:
        if store.channel_by_code(conn, code) is not None:
            raise Conflict(f"channel {code} already exists", code="duplicate_channel")
        store.add_channel(conn, channel)
        return channel

    return await database.write(command)


async def set_channel_active(database: Database, code: int, active: bool) -> Channel:
    """Enable or disable a channel for new payments."""

    def command(conn: Connection) -> Channel:
        channel = store.channel_by_code(conn, code)
        if channel is None:
            raise NotFound(f"channel {code} not found", code="channel_not_found")
        store.set_channel_active(conn, code, active)
        return Channel(channel.code, channel.name, channel.type, channel.display_name, active)

    return await database.write(command)
