"""One webhook POST, whatever happens: a status, a timeout, a refused destination."""

from __future__ import annotations

import asyncio
import contextlib
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
                # Only the first bytes of the body are read, briefly: a receiver cannot make
                # us buffer anything or wait long for it.
                retry_after = parse_retry_after(response.headers.get("retry-after"), clock())
                status, duration = response.status_code, took()
                excerpt = await _first_bytes(response)
                return Delivery(status, None, retry_after, duration, excerpt)
    except (TimeoutError, httpx.TimeoutException):
        return Delivery(None, f"timeout after {timeout_seconds:g} s", None, took())
    except Blocked:
        return Delivery(None, "blocked: the destination is not a public address", None, took())
    except httpx.HTTPError as exc:
        return Delivery(None, f"connection failed: {type(exc).__name__}", None, took())


EXCERPT_BYTES = 200
EXCERPT_WAIT = 1.0  # seconds


async def _first_bytes(response: httpx.Response) -> str | None:
    """Up to EXCERPT_BYTES of the answer as text, or None if none came within EXCERPT_WAIT."""
    received = bytearray()

    async def read() -> None:
        async for chunk in response.aiter_raw():
            received.extend(chunk)
            if len(received) >= EXCERPT_BYTES:
                return

    with contextlib.suppress(TimeoutError, httpx.HTTPError):
        await asyncio.wait_for(read(), EXCERPT_WAIT)
    if not received:
        return None
    text = bytes(received[:EXCERPT_BYTES]).decode("utf-8", errors="replace")
    return "".join(c if c.isprintable() or c in "\n\t" else "\ufffd" for c in text)
