"""Channels: the catalogue of networks and banks a payment can go through."""

from __future__ import annotations

from sqlalchemy import Connection, RowMapping, bindparam, func, insert, or_, select, update

from jpay_server.domain.channels import Channel, ChannelType
from jpay_server.store.tables import ChannelRow


def _channel(row: RowMapping) -> Channel:
    return Channel(
        row["code"], row["name"], ChannelType(row["type"]), row["display_name"], row["is_active"]
    )


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
    return total, [_channel(row._mapping) for row in rows]


_BY_CODE = select(ChannelRow.__table__).where(ChannelRow.code == bindparam("code"))


def channel_by_code(conn: Connection, code: int) -> Channel | None:
    """The channel with this code, or None."""
    row = conn.execute(_BY_CODE, {"code": code}).first()
    return _channel(row._mapping) if row else None


def add_channel(conn: Connection, channel: Channel) -> None:
    """Insert a channel."""
    conn.execute(
        insert(ChannelRow).values(
            code=channel.code,
            name=channel.name,
            type=channel.type.value,
            display_name=channel.display_name,
            is_active=channel.is_active,
        )
    )


def set_channel_active(conn: Connection, code: int, active: bool) -> None:
    """Activate or deactivate a channel."""
    conn.execute(update(ChannelRow).where(ChannelRow.code == code).values(is_active=active))
