"""Webhook delivery under a receiver that drips one byte a second, with the real worker loop."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from jpay_server.domain.webhooks import EventType
from jpay_server.services import webhooks as service
from jpay_server.worker.runner import delivery_loop
from tests.harness import running
from tests.receiver import dripping, receiving

pytestmark = pytest.mark.anyio
TIMEOUT = 1.0


@pytest.fixture
async def hooks(make_settings, any_database_url, clock):
    settings = make_settings(
        database_url=any_database_url,
        rate_limit_enabled=False,
        worker_in_process=False,
        worker_poll_interval=0.1,
        webhook_retry_schedule="0,3600",
        webhook_timeout=TIMEOUT,
        webhook_concurrency_per_app=2,
    )
    async with running(settings, clock) as h:
        yield h


class Counting(httpx.AsyncHTTPTransport):
    """A real transport that counts the attempts in flight to each URL."""

    def __init__(self) -> None:
        super().__init__()
        self.now: dict[str, int] = {}
        self.most: dict[str, int] = {}

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = str(request.url)
        self.now[url] = self.now.get(url, 0) + 1
        self.most[url] = max(self.most.get(url, 0), self.now[url])
        try:
            return await super().handle_async_request(request)
        finally:
            self.now[url] -= 1


async def emit(h, app_code: int, url: str, n: int = 0):
    data = {"id": f"COLL-{n}", "status": "completed"}
    return await h.database.write(
        lambda conn: service.emit(h.ctx, conn, app_code, url, EventType.COLLECTION_COMPLETED, data)
    )


async def wait_until(predicate, seconds: float = 15.0) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.02)


async def attempts_of(h, event_id: str):
    return (await service.event_attempts(h.database, event_id))[1]


async def test_a_dripping_receiver_neither_holds_an_attempt_nor_delays_other_merchants(hooks):
    slow_app = (await hooks.app_credentials()).app.app_code
    fast_app = (await hooks.app_credentials()).app.app_code
    stop = asyncio.Event()
    with dripping(seconds=60) as drip, receiving() as fast:
        counting = Counting()
        async with httpx.AsyncClient(transport=counting) as client:
            worker = asyncio.create_task(
                delivery_loop(hooks.ctx, hooks.runtime.database, client, stop)
            )
            try:
                slow = [await emit(hooks, slow_app, drip.url, n) for n in range(5)]
                await wait_until(lambda: drip.open_now >= 1)
                # Emitted while the slow merchant's attempts are in flight: no waiting behind them.
                quick = await emit(hooks, fast_app, fast.url, 99)
                await wait_until(lambda: len(fast.received) == 1)
                assert drip.closed_at == [], "the fast webhook waited for a slow attempt to end"
                # One total deadline per attempt: the drip is cut at TIMEOUT, not after 60 bytes.
                await wait_until(lambda: drip.opened == 5 and drip.open_now == 0, 20)
            finally:
                stop.set()
                await asyncio.wait_for(worker, 10)
    assert counting.most[drip.url] == 2, "at most webhook_concurrency_per_app at once per app"
    for event in slow:
        (attempt,) = await attempts_of(hooks, event.id)
        assert attempt.error == f"timeout after {TIMEOUT:g} s"
        assert attempt.duration_ms < 3 * TIMEOUT * 1000
    (delivered,) = await attempts_of(hooks, quick.id)
    assert delivered.status_code == 204
