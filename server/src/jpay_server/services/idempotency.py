"""Idempotency-Key on POSTs that move money: replay the first answer, refuse a changed request."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

from jpay_server.domain.idempotency import Remembered, check_key, fingerprint, replay
from jpay_server.errors import JPayError
from jpay_server.services.context import Context
from jpay_server.store.db import Database
from jpay_server.store.idempotency import TTL, KeyTaken, remember, remembered

Command = Callable[[Connection], dict[str, Any]]


@dataclass(frozen=True, slots=True)
class Keyed:
    """A request as its Idempotency-Key sees it: the key (None if none was sent), where, what."""

    key: str | None
    endpoint: str
    body: Any  # the request's JSON


@dataclass(frozen=True, slots=True)
class Answer:
    """A JSON answer; `replayed` if it is the one first given to this key."""

    body: dict[str, Any]
    status_code: int = 200
    replayed: bool = False


def _replayed(found: Remembered) -> Answer:
    return Answer(found.body, found.status_code, replayed=True)


async def once(
    ctx: Context, database: Database, app_code: int, request: Keyed, command: Command
) -> Answer:
    """Run the write `command` at most once per (app, Idempotency-Key); replay it after."""
    if request.key is None:
        return Answer(await database.write(command))
    key = check_key(request.key)
    endpoint = request.endpoint
    fp = fingerprint(endpoint, request.body)
    since = ctx.clock() - TTL

    def found(conn: Connection) -> Remembered | None:
        return remembered(conn, app_code, key, since)

    first = await database.read(found)
    if first is not None:
        return _replayed(replay(first, endpoint, fp))

    def command_once(conn: Connection) -> Answer:
        # Again inside the write transaction: a request with this key may have committed
        # while we waited for it (on SQLite writers queue; this sees their commits).
        first = found(conn)
        if first is not None:
            return _replayed(replay(first, endpoint, fp))
        body = command(conn)
        # KeyTaken rolls this request's work back: the other one stands.
        remember(conn, app_code, key, Remembered(endpoint, fp, 200, body), ctx.clock())
        return Answer(body)

    try:
        return await database.write(command_once)
    except (KeyTaken, JPayError):
        # Losing a race can also surface as the other request's side effect (its ref_no is
        # now taken): if a request with this key succeeded meanwhile, its answer is ours.
        first = await database.read(found)
        if first is None:
            raise
        return _replayed(replay(first, endpoint, fp))
