"""Rate-limit state: in process memory on one host, in Redis when JPAY_REDIS_URL is set."""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Protocol

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from jpay_server.domain.ratelimits import Decision, Rate, gcra

log = logging.getLogger(__name__)
MAX_MEMORY_KEYS = 100_000


class RateLimiter(Protocol):
    """Admits or refuses one hit on a key at a rate."""

    async def hit(self, key: str, rate: Rate) -> Decision: ...

    async def close(self) -> None: ...


class MemoryRateLimiter:
    """GCRA state in a bounded LRU map: per process, so N workers allow N times the rate."""

    def __init__(
        self, clock: Callable[[], float] = time.monotonic, max_keys: int = MAX_MEMORY_KEYS
    ) -> None:
        self._clock = clock
        self._max_keys = max_keys
        self._tat: OrderedDict[str, float] = OrderedDict()

    async def hit(self, key: str, rate: Rate) -> Decision:
        """Admit or refuse one request on `key`."""
        now = self._clock()
        decision = gcra(self._tat.get(key), now, rate)
        self._tat[key] = decision.tat
        self._tat.move_to_end(key)
        while len(self._tat) > self._max_keys:
            self._tat.popitem(last=False)
        return decision

    async def close(self) -> None:
        """Nothing to release."""


# GCRA in one round trip, with Redis's clock so that every server process agrees on `now`.
_GCRA_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
if tat - now > burst then
  return {0, tostring(tat - now - burst)}
end
local new_tat = tat + interval
redis.call('SET', KEYS[1], tostring(new_tat), 'PX', math.ceil((new_tat - now) * 1000) + 1000)
return {1, '0'}
"""


class RedisRateLimiter:
    """GCRA state in Redis, shared by every process; fails open (and logs) if Redis is down."""

    def __init__(self, url: str, prefix: str = "jpay:rl:") -> None:
        self._redis = aioredis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        self._script = self._redis.register_script(_GCRA_LUA)
        self._prefix = prefix

    async def hit(self, key: str, rate: Rate) -> Decision:
        """Admit or refuse one request on `key`."""
        try:
            allowed, wait = await self._script(
                keys=[self._prefix + key], args=[rate.interval, rate.period - rate.interval]
            )
        except RedisError as exc:
            log.warning("rate limiter unavailable, admitting request: %s", type(exc).__name__)
            return Decision(True, 0.0, 0)
        retry_after = 0 if allowed else max(1, int(float(wait) + 0.999))
        return Decision(bool(allowed), 0.0, retry_after)

    async def close(self) -> None:
        """Close the Redis connection pool."""
        await self._redis.aclose()


class DisabledRateLimiter:
    """Admits everything (JPAY_RATE_LIMIT_ENABLED=false, for load tests)."""

    async def hit(self, key: str, rate: Rate) -> Decision:
        """Always admit."""
        return Decision(True, 0.0, 0)

    async def close(self) -> None:
        """Nothing to release."""
