"""Idempotency-Key on POSTs that move money: replay the first answer, refuse a changed request."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from jpay_server.api.responses import JSONResponse
from jpay_server.domain.access import Principal
from jpay_server.domain.idempotency import Remembered, check_key, fingerprint, replay
from jpay_server.errors import JPayError
from jpay_server.services.runtime import Runtime
from jpay_server.store.idempotency import TTL, IdempotencyRepository

Work = Callable[[AsyncSession], Awaitable[dict[str, Any]]]


class _Raced(Exception):
    """Another request with the same key committed first."""


def _replayed(remembered: Remembered) -> JSONResponse:
    return JSONResponse(
        remembered.body, remembered.status_code, headers={"Idempotent-Replayed": "true"}
    )


async def idempotent(
    rt: Runtime, principal: Principal, key: str | None, endpoint: str, body: BaseModel, work: Work
) -> JSONResponse:
    """Run `work` in one unit of work, at most once per (app, Idempotency-Key)."""
    if key is None:
        async with rt.database.transaction() as session:
            return JSONResponse(await work(session))
    key = check_key(key)
    fp = fingerprint(endpoint, body.model_dump(mode="json"))
    since = rt.ctx.clock() - TTL
    async with rt.database.transaction(write=False) as session:
        found = await IdempotencyRepository(session).get(principal.app_code, key, since)
    if found is not None:
        return _replayed(replay(found, endpoint, fp))
    try:
        async with rt.database.transaction() as session:
            repo = IdempotencyRepository(session)
            # Again inside the write transaction: a request with this key may have committed
            # while we waited for it (on SQLite writers queue; this sees their commits).
            found = await repo.get(principal.app_code, key, since)
            if found is not None:
                return _replayed(replay(found, endpoint, fp))
            result = await work(session)
            remembered = Remembered(endpoint, fp, 200, result)
            if not await repo.remember(principal.app_code, key, remembered, rt.ctx.clock()):
                raise _Raced  # roll back this request's work: the other one stands
    except (_Raced, JPayError):
        # Losing a race can also surface as the other request's side effect (its ref_no is
        # now taken): if a request with this key succeeded meanwhile, its answer is ours.
        async with rt.database.transaction(write=False) as session:
            found = await IdempotencyRepository(session).get(principal.app_code, key, since)
        if found is None:
            raise
        return _replayed(replay(found, endpoint, fp))
    return JSONResponse(result)
