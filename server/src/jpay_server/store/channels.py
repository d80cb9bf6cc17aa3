"""Channel repository."""

from __future__ import annotations

from sqlalchemy import Connection, bindparam, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from jpay_server.domain.channels import Channel, ChannelType
from jpay_server.store.tables import ChannelRow


def _channel(row: ChannelRow) -> Channel:
    return Channel(row.code, row.name, ChannelType(row.type), row.display_name, row.is_active)


_TYPE = bindparam("type", type_=ChannelRow.type.type)
_CHANNEL_MATCH = (
    or_(_TYPE.is_(None), ChannelRow.type == _TYPE),
    or_(bindparam("active_only").is_(False), ChannelRow.is_active.is_(True)),
)
_CHANNEL_PAGE = (
    select(ChannelRow.__table__, func.count().over().label("total"))
    .where(*_CHANNEL_MATCH)
    .order_by(ChannelRow.code)
    .offset(bindparam("offset"))
    .limit(bindparam("limit"))
)
_CHANNEL_COUNT = select(func.count(ChannelRow.code)).where(*_CHANNEL_MATCH)


def channel_page(
    conn: Connection, kind: ChannelType | None, active_only: bool, offset: int, limit: int
) -> tuple[int, list[Channel]]:
    """A page of channels ordered by code, and how many match."""
    params = {"type": kind.value if kind else None, "active_only": active_only}
    rows = conn.execute(_CHANNEL_PAGE, {**params, "offset": offset, "limit": limit}).all()
    if rows:
        total = int(rows[0].total)
    elif offset:
        total = int(conn.execute(_CHANNEL_COUNT, params).scalar_one())
    else:
        total = 0
    channels = [
        Channel(r.code, r.name, ChannelType(r.type), r.display_name, r.is_active) for r in rows
    ]
    return total, channels


class ChannelRepository:
    """Reads and writes channels inside the caller's transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, code: int) -> Channel | None:
        """The channel with this code, or None."""
        row = await self.session.get(ChannelRow, code)
        return _channel(row) if row else None

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
