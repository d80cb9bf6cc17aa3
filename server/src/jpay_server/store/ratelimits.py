"""Rate-limit state: in process memory on one host, in Redis when JPAY_REDIS_URL is set."""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Protocol

import redis.asyncio as aioredis
from redis.commands.core import AsyncScript
from redis.exceptions import RedisError

from jpay_server.domain.ratelimits import Decision, Rate, gcra

log = logging.getLogger(__name__)
MAX_MEMORY_KEYS = 100_000
PROBE_INTERVAL = 1.0  # seconds between attempts to reach Redis during an outage


class RateLimiter(Protocol):
    """Admits or refuses one hit on a key at a rate."""

    async def hit(self, key: str, rate: Rate) -> Decision: ...

    async def peek(self, key: str, rate: Rate) -> Decision:
        """Would a hit be admitted now? Counts nothing."""
        ...

    async def hit_and_peek(
        self, hit: tuple[str, Rate], peek: tuple[str, Rate]
    ) -> tuple[Decision, Decision]:
        """A hit on one key and a peek at another, at the same moment."""
        ...

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

    async def peek(self, key: str, rate: Rate) -> Decision:
        """Would a hit on `key` be admitted now? Counts nothing."""
        return gcra(self._tat.get(key), self._clock(), rate)

    async def hit_and_peek(
        self, hit: tuple[str, Rate], peek: tuple[str, Rate]
    ) -> tuple[Decision, Decision]:
        """A hit on one key, then a peek at another."""
        return await self.hit(*hit), await self.peek(*peek)

    async def close(self) -> None:
        """Nothing to release."""


# GCRA in one round trip, with Redis's clock so that every server process agrees on `now`.
# Each function answers {allowed, seconds to wait past the burst}.
_GCRA_FUNCTIONS = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local function peek(key, burst)
  local tat = tonumber(redis.call('GET', key) or now)
  if tat < now then tat = now end
  if tat - now > burst then
    return {0, tostring(tat - now - burst)}
  end
  return {1, '0'}
end
local function hit(key, interval, burst)
  local tat = tonumber(redis.call('GET', key) or now)
  if tat < now then tat = now end
  if tat - now > burst then
    return {0, tostring(tat - now - burst)}
  end
  local new_tat = tat + interval
  redis.call('SET', key, tostring(new_tat), 'PX', math.ceil((new_tat - now) * 1000) + 1000)
  return {1, '0'}
end
"""
_GCRA_LUA = _GCRA_FUNCTIONS + "return hit(KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]))"
# The same decision, counting nothing.
_PEEK_LUA = _GCRA_FUNCTIONS + "return peek(KEYS[1], tonumber(ARGV[2]))"
# A hit on KEYS[1] and a peek at KEYS[2]: the token endpoint's two limits in one round trip.
_HIT_AND_PEEK_LUA = (
    _GCRA_FUNCTIONS
    + """
local counted = hit(KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]))
local ahead = peek(KEYS[2], tonumber(ARGV[4]))
return {counted[1], counted[2], ahead[1], ahead[2]}
"""
)


class RedisRateLimiter:
    """GCRA state in Redis, shared by every process.

    While Redis is unreachable the limits fall back to this process's memory (degraded to
    per process, never off), with one warning per outage; Redis is probed again at most once
    a second, so an outage costs requests no connection timeouts.
    """

    def __init__(
        self, url: str, prefix: str = "jpay:rl:", clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._redis = aioredis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        self._script = self._redis.register_script(_GCRA_LUA)
        self._peek = self._redis.register_script(_PEEK_LUA)
        self._both = self._redis.register_script(_HIT_AND_PEEK_LUA)
        self._prefix = prefix
        self._clock = clock
        self._fallback = MemoryRateLimiter(clock)
        self._down_since: float | None = None
        self._next_probe = 0.0

    async def hit(self, key: str, rate: Rate) -> Decision:
        """Admit or refuse one request on `key`."""
        found = await self._run(self._script, (key, rate))
        return found[0] if found is not None else await self._fallback.hit(key, rate)

    async def peek(self, key: str, rate: Rate) -> Decision:
        """Would a hit on `key` be admitted now? Counts nothing."""
        found = await self._run(self._peek, (key, rate))
        return found[0] if found is not None else await self._fallback.peek(key, rate)

    async def hit_and_peek(
        self, hit: tuple[str, Rate], peek: tuple[str, Rate]
    ) -> tuple[Decision, Decision]:
        """A hit on one key and a peek at another, in one round trip."""
        found = await self._run(self._both, hit, peek)
        if found is None:
            return await self._fallback.hit_and_peek(hit, peek)
        return found[0], found[1]

    async def _run(self, script: AsyncScript, *limits: tuple[str, Rate]) -> list[Decision] | None:
        """The script's decision for each limit, or None while Redis cannot be reached."""
        if self._down_since is not None:
            now = self._clock()
            if now < self._next_probe:
                return None
            self._next_probe = now + PROBE_INTERVAL  # one probe per interval, not one per hit
        keys = [self._prefix + key for key, _ in limits]
        args = [arg for _, rate in limits for arg in (rate.interval, rate.period - rate.interval)]
        try:
            answer = await script(keys=keys, args=args)
        except (RedisError, OSError) as exc:
            self._outage(exc)
            return None
        if self._down_since is not None:
            log.info(
                "rate limiter: Redis answers again after %.1f s; limits are shared again",
                self._clock() - self._down_since,
            )
            self._down_since = None
        return [_decision(answer[i], answer[i + 1]) for i in range(0, len(answer), 2)]

    def _outage(self, exc: BaseException) -> None:
        now = self._clock()
        self._next_probe = now + PROBE_INTERVAL
        if self._down_since is None:
            self._down_since = now
            log.warning(
                "rate limiter: Redis unreachable (%s); limiting per process until it answers",
                type(exc).__name__,
            )

    async def close(self) -> None:
        """Close the Redis connection pool."""
        await self._redis.aclose()


def _decision(allowed: int, wait: bytes) -> Decision:
    retry_after = 0 if allowed else max(1, int(float(wait) + 0.999))
    return Decision(bool(allowed), 0.0, retry_after)


class DisabledRateLimiter:
    """Admits everything (JPAY_RATE_LIMIT_ENABLED=false, for load tests)."""

    async def hit(self, key: str, rate: Rate) -> Decision:
        """Always admit."""
        return Decision(True, 0.0, 0)

    async def peek(self, key: str, rate: Rate) -> Decision:
        """Always admit."""
        return Decision(True, 0.0, 0)

    async def hit_and_peek(
        self, hit: tuple[str, Rate], peek: tuple[str, Rate]
    ) -> tuple[Decision, Decision]:
        """Always admit."""
        return Decision(True, 0.0, 0), Decision(True, 0.0, 0)

    async def close(self) -> None:
        """Nothing to release."""
