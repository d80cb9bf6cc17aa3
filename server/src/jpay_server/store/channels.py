"""Channel repository."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from jpay_server.domain.channels import Channel, ChannelType
from jpay_server.store.tables import ChannelRow


def _channel(row: ChannelRow) -> Channel:
    return Channel(row.code, row.name, ChannelType(row.type), row.display_name, row.is_active)


class ChannelRepository:
    """Reads and writes channels inside the caller's transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, code: int) -> Channel | None:
        """The channel with this code, or None."""
        row = await self.session.get(ChannelRow, code)
        return _channel(row) if row else None

    async def page(
        self, kind: ChannelType | None, active_only: bool, offset: int, limit: int
    ) -> tuple[int, list[Channel]]:
        """A page of channels ordered by code, and the total that match."""
        query = select(ChannelRow)
        if kind is not None:
            query = query.where(ChannelRow.type == kind.value)
        if active_only:
            query = query.where(ChannelRow.is_active.is_(True))
        total = await self.session.scalar(select(func.count()).select_from(query.subquery()))
        rows = await self.session.scalars(
            query.order_by(ChannelRow.code).offset(offset).limit(limit)
        )
        return int(total or 0), [_channel(row) for row in rows]

    async def add(self, channel: Channel) -> None:
        """Insert a channel."""
        self.session.add(
            ChannelRow(
                code=channel.code,
                name=channel.name,
                type=channel.type.value,
                display_name=channel.display_name,
                is_active=channel.is_active,
            )
        )
        await self.session.flush()

    async def set_active(self, code: int, active: bool) -> None:
        """Activate or deactivate a channel."""
        row = await self.session.get_one(ChannelRow, code)
        row.is_active = active
        await self.session.flush()  # autoflush is off: later reads must see this
