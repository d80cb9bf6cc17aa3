"""Payments: collections and payouts, their listing, and the worker's due queue."""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, RowMapping, bindparam, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from jpay_server.domain.channels import Channel, ChannelType
from jpay_server.domain.payments import (
    Payment,
    PaymentFilter,
    PaymentKind,
    PaymentStatus,
)
from jpay_server.store.driver_reads import DriverRead
from jpay_server.store.pages import page_total
from jpay_server.store.tables import ChannelRow, PaymentRow
from jpay_server.store.wire_sql import (
    channel_type_display,
    constant,
    json_object,
    status_code,
    wire_amount,
    wire_time,
)

# A payment row with its channel's columns, as the read queries select it.
_COLUMNS = (
    *PaymentRow.__table__.c,
    ChannelRow.name.label("channel_name"),
    ChannelRow.type.label("channel_type"),
    ChannelRow.display_name.label("channel_display_name"),
    ChannelRow.is_active.label("channel_active"),
)


# Enum lookups by value, and one Channel per distinct row: a page builds fifty payments.
_KINDS = {kind.value: kind for kind in PaymentKind}
_STATUSES = {status.value: status for status in PaymentStatus}


@functools.lru_cache(maxsize=256)
def _channel(code: int, name: str, kind: str, display_name: str, active: bool) -> Channel:
    return Channel(code, name, ChannelType(kind), display_name, active)


def _from_columns(m: RowMapping) -> Payment:
    """A payment from a row of _COLUMNS (UTCDateTime has made every time aware UTC)."""
    channel = _channel(
        m["channel"],
        m["channel_name"],
        m["channel_type"],
        m["channel_display_name"],
        bool(m["channel_active"]),
    )
    return Payment(
        id=m["id"],
        kind=_KINDS[m["kind"]],
        app_code=m["app_code"],
        merchant_id=m["merchant_id"],
        party=m["party"],
        amount_cents=m["amount_cents"],
        ref_no=m["ref_no"],
        account_number=m["account_number"],
        callback_url=m["callback_url"],
        category=m["category"],
        narration=m["narration"],
        channel=channel,
        status=_STATUSES[m["status"]],
        failure_reason=m["failure_reason"],
        created_at=m["created_at"],
        updated_at=m["updated_at"],
        next_step_at=m["next_step_at"],
    )


def _optional(column: Any, name: str) -> Any:
    # One prebuilt statement serves every filter combination: an absent filter is NULL.
    param = bindparam(name, type_=column.type)
    return or_(param.is_(None), column == param)


def _since(column: Any, name: str) -> Any:
    param = bindparam(name, type_=column.type)
    return or_(param.is_(None), column >= param)


def _before(column: Any, name: str) -> Any:
    param = bindparam(name, type_=column.type)
    return or_(param.is_(None), column < param)


_MATCH = (
    PaymentRow.app_code == bindparam("app_code"),
    PaymentRow.kind == bindparam("kind"),
    _optional(PaymentRow.status, "status"),
    _since(PaymentRow.created_at, "created_from"),
    _before(PaymentRow.created_at, "created_before"),
    _optional(PaymentRow.party, "party"),
    _optional(PaymentRow.ref_no, "ref_no"),
)


def _wire(kind: PaymentKind) -> Any:
    """A row as the JSON text of `domain.payments.to_wire`, keys in its order."""
    p, channel = PaymentRow, ChannelRow
    party = "payfrom" if kind is PaymentKind.COLLECTION else "payto"
    fields: list[tuple[str, Any]] = [
        ("id", p.id),
        (party, p.party),
        ("amount", wire_amount(p.amount_cents)),
        ("ref_no", p.ref_no),
    ]
    if kind is PaymentKind.COLLECTION:
        fields.append(("account_number", p.account_number))
    fields += [
        ("callback_url", p.callback_url),
        ("status", p.status),
        ("status_code", status_code(p.status)),
        ("category", p.category),
        ("narration", p.narration),
        ("channel", p.channel),
        ("channel_name", channel.display_name),
        ("channel_type", channel_type_display(channel.type)),
        ("app_code", p.app_code),
        ("failure_reason", p.failure_reason),
        ("created_at", wire_time(p.created_at)),
        ("updated_at", wire_time(p.updated_at)),
    ]
    return json_object(*(item for key, column in fields for item in (constant(key), column)))


# Built once per kind: SQLAlchemy then skips re-deriving the statement's cache key on every
# call. The order matches ix_payment_app_kind_created_id, so a page is read off the index.
_PAGES = {
    kind: DriverRead(
        select(_wire(kind))
        .join(ChannelRow, ChannelRow.code == PaymentRow.channel)
        .where(*_MATCH)
        .order_by(PaymentRow.created_at.desc(), PaymentRow.id.desc())
        .offset(bindparam("offset"))
        .limit(bindparam("limit"))
    )
    for kind in PaymentKind
}
_COUNT = DriverRead(select(func.count(PaymentRow.id)).where(*_MATCH))
_BY_ID = (
    select(*_COLUMNS)
    .join(ChannelRow, ChannelRow.code == PaymentRow.channel)
    .where(
        PaymentRow.id == bindparam("payment_id"),
        PaymentRow.app_code == bindparam("app_code"),
        PaymentRow.kind == bindparam("kind"),
    )
)


def wire_payment_page(
    conn: Connection,
    app_code: int,
    kind: PaymentKind,
    where: PaymentFilter,
    offset: int,
    limit: int,
) -> tuple[int, list[str]]:
    """A page of an app's payments as JSON texts of their wire form, newest first, and a total."""
    params = {
        "app_code": app_code,
        "kind": kind.value,
        "status": where.status.value if where.status else None,
        "created_from": where.created_from,
        "created_before": where.created_before,
        "party": where.party,
        "ref_no": where.ref_no,
    }
    page = {**params, "offset": offset, "limit": limit}
    rendered: list[str] = [row[0] for row in _PAGES[kind].rows(conn, page)]

    def count() -> int:
        return int(_COUNT.rows(conn, params)[0][0])

    return page_total(len(rendered), offset, limit, count), rendered


def payment_by_id(
    conn: Connection, app_code: int, kind: PaymentKind, payment_id: str
) -> Payment | None:
    """One of an app's payments, or None (another app's payment is None too)."""
    params = {"payment_id": payment_id, "app_code": app_code, "kind": kind.value}
    row = conn.execute(_BY_ID, params).first()
    return _from_columns(row._mapping) if row else None


class DuplicateRefNo(Exception):
    """The app already has a payment of this kind with this ref_no."""


def add_payment(conn: Connection, payment: Payment) -> None:
    """Insert a payment; DuplicateRefNo if its ref_no is taken (the command then rolls back)."""
    try:
        conn.execute(
            insert(PaymentRow).values(
                id=payment.id,
                kind=payment.kind.value,
                app_code=payment.app_code,
                merchant_id=payment.merchant_id,
                party=payment.party,
                amount_cents=payment.amount_cents,
                ref_no=payment.ref_no,
                account_number=payment.account_number,
                callback_url=payment.callback_url,
                category=payment.category,
                narration=payment.narration,
                channel=payment.channel.code,
                status=payment.status.value,
                failure_reason=payment.failure_reason,
                created_at=payment.created_at,
                updated_at=payment.updated_at,
                next_step_at=payment.next_step_at,
            )
        )
    except IntegrityError as exc:
        raise DuplicateRefNo(payment.ref_no) from exc


def ref_no_taken(conn: Connection, app_code: int, kind: PaymentKind, ref_no: str) -> bool:
    """True if the app already used this ref_no for this kind."""
    query = select(PaymentRow.id).where(
        PaymentRow.app_code == app_code,
        PaymentRow.kind == kind.value,
        PaymentRow.ref_no == ref_no,
    )
    return conn.execute(query).first() is not None


def claim_due(conn: Connection, now: datetime, limit: int) -> list[Payment]:
    """Payments whose next network step is due, locked for this transaction.

    On PostgreSQL `FOR UPDATE SKIP LOCKED` lets several workers share the queue without
    waiting on each other; SQLite has one writer, so the transaction itself is the lock.
    """
    due = (
        select(PaymentRow.id)
        .where(PaymentRow.next_step_at.is_not(None), PaymentRow.next_step_at <= now)
        .order_by(PaymentRow.next_step_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    ids = list(conn.execute(due).scalars())
    if not ids:
        return []
    query = (
        select(*_COLUMNS)
        .join(ChannelRow, ChannelRow.code == PaymentRow.channel)
        .where(PaymentRow.id.in_(ids))
        .order_by(PaymentRow.next_step_at)
    )
    return [_from_columns(row._mapping) for row in conn.execute(query)]


def save_state(conn: Connection, payment: Payment) -> None:
    """Write back a payment's status, failure reason and next step."""
    conn.execute(
        update(PaymentRow)
        .where(PaymentRow.id == payment.id)
        .values(
            status=payment.status.value,
            failure_reason=payment.failure_reason,
            next_step_at=payment.next_step_at,
            updated_at=payment.updated_at,
        )
    )


def merchant_payment_page(
    conn: Connection,
    merchant_id: int,
    kind: PaymentKind,
    where: PaymentFilter,
    offset: int,
    limit: int,
    app_code: int | None = None,
) -> tuple[int, list[Payment]]:
    """A page of a merchant's payments across its apps (or of one), newest first, and a total."""
    match = [PaymentRow.merchant_id == merchant_id, PaymentRow.kind == kind.value]
    if app_code is not None:
        match.append(PaymentRow.app_code == app_code)
    if where.status is not None:
        match.append(PaymentRow.status == where.status.value)
    if where.created_from is not None:
        match.append(PaymentRow.created_at >= where.created_from)
    if where.created_before is not None:
        match.append(PaymentRow.created_at < where.created_before)
    if where.party is not None:
        match.append(PaymentRow.party == where.party)
    if where.ref_no is not None:
        match.append(PaymentRow.ref_no == where.ref_no)
    rows = conn.execute(
        select(*_COLUMNS)
        .join(ChannelRow, ChannelRow.code == PaymentRow.channel)
        .where(*match)
        .order_by(PaymentRow.created_at.desc(), PaymentRow.id.desc())
        .offset(offset)
        .limit(limit)
    ).all()

    def count() -> int:
        return int(conn.execute(select(func.count(PaymentRow.id)).where(*match)).scalar_one())

    return page_total(len(rows), offset, limit, count), [
        _from_columns(row._mapping) for row in rows
    ]
