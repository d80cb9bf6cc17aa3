"""Idempotency keys: the first successful answer to each (app, key), kept for a day."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Connection, bindparam, delete, insert, select
from sqlalchemy.exc import IntegrityError

from jpay_server.domain.idempotency import Remembered
from jpay_server.store.tables import IdempotencyKeyRow

# A key is remembered for 24 hours; an older one is free again even before housekeeping runs.
TTL = timedelta(hours=24)


class KeyTaken(Exception):
    """Another request remembered an answer under this key first (the command rolls back)."""


_REMEMBERED = select(
    IdempotencyKeyRow.endpoint,
    IdempotencyKeyRow.fingerprint,
    IdempotencyKeyRow.status_code,
    IdempotencyKeyRow.body,
).where(
    IdempotencyKeyRow.app_code == bindparam("app_code"),
    IdempotencyKeyRow.key == bindparam("key"),
    IdempotencyKeyRow.created_at >= bindparam("since", type_=IdempotencyKeyRow.created_at.type),
)


def remembered(conn: Connection, app_code: int, key: str, since: datetime) -> Remembered | None:
    """The answer remembered under this key since `since`, or None."""
    row = conn.execute(_REMEMBERED, {"app_code": app_code, "key": key, "since": since}).first()
    if row is None:
        return None
    return Remembered(row.endpoint, row.fingerprint, row.status_code, row.body)


def remember(conn: Connection, app_code: int, key: str, answer: Remembered, now: datetime) -> None:
    """Keep an answer under its key; KeyTaken if another request's is already there."""
    conn.execute(
        delete(IdempotencyKeyRow).where(
            IdempotencyKeyRow.app_code == app_code,
            IdempotencyKeyRow.key == key,
            IdempotencyKeyRow.created_at < now - TTL,
        )
    )
    try:
        conn.execute(
            insert(IdempotencyKeyRow).values(
                app_code=app_code,
                key=key,
                endpoint=answer.endpoint,
                fingerprint=answer.fingerprint,
                status_code=answer.status_code,
                body=answer.body,
                created_at=now,
            )
        )
    except IntegrityError as exc:
        raise KeyTaken(key) from exc


def prune_keys(conn: Connection, before: datetime) -> None:
    """Forget keys older than `before`."""
    conn.execute(delete(IdempotencyKeyRow).where(IdempotencyKeyRow.created_at < before))
