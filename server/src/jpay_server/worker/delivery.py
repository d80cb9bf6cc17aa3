"""One webhook POST, whatever happens: a status, a timeout, a refused destination."""

from __future__ import annotations

import asyncio
import time

import httpx

from jpay_server.clock import Clock
from jpay_server.domain.webhooks import Delivery, parse_retry_after
from jpay_server.services.webhooks import Outgoing
from jpay_server.worker.egress import Blocked, resolve


async def deliver(
    client: httpx.AsyncClient,
    outgoing: Outgoing,
    clock: Clock,
    timeout_seconds: float,
    allow_private: bool,
) -> Delivery:
    """POST the event, signed now; never raises. Redirects are not followed (a failure).

    The attempt has one deadline, DNS and connection included: httpx's timeouts bound each
    socket read, so a receiver answering a byte a second would otherwise hold it for ever.
    """
    started = time.monotonic()

    def took() -> int:
        return int((time.monotonic() - started) * 1000)

    try:
        async with asyncio.timeout(timeout_seconds):
            target = await resolve(outgoing.event.url, allow_private)
            headers = {**outgoing.headers(clock()), **target.headers}
            async with client.stream(
                "POST",
                target.url,
                content=outgoing.event.body.encode(),
                headers=headers,
                extensions=target.extensions,
                timeout=timeout_seconds,
                follow_redirects=False,
            ) as response:
                # The body is not read: a receiver cannot make us buffer anything.
                retry_after = parse_retry_after(response.headers.get("retry-after"), clock())
                return Delivery(response.status_code, None, retry_after, took())
    except (TimeoutError, httpx.TimeoutException):
        return Delivery(None, f"timeout after {timeout_seconds:g} s", None, took())
    except Blocked:
        return Delivery(None, "blocked: the destination is not a public address", None, took())
    except httpx.HTTPError as exc:
        return Delivery(None, f"connection failed: {type(exc).__name__}", None, took())
