"""429 with Retry-After on brute force, per IP and per app_key, in memory and in Redis."""

from __future__ import annotations

import secrets

import pytest

from jpay_server.domain.ratelimits import Rate
from jpay_server.store.ratelimits import RedisRateLimiter
from tests.harness import API, running

pytestmark = pytest.mark.anyio
BAD = {"app_key": "jpay_ak_x", "app_secret": "wrong"}


async def test_token_endpoint_limits_per_ip(make_settings, database_url, clock):
    settings = make_settings(database_url=database_url, rate_limit_token_per_ip="3/minute")
    async with running(settings, clock) as h:
        statuses = [
            (await h.client.post(f"{API}/auth/app/token", json=BAD)).status_code for _ in range(4)
        ]
        assert statuses == [401, 401, 401, 429]
        limited = await h.client.post(f"{API}/auth/app/token", json=BAD)
        assert limited.json() == {"detail": "Too many requests", "code": "rate_limited"}
        assert 1 <= int(limited.headers["retry-after"]) <= 20
        other_ip = h.client_from("192.0.2.55")
        assert (await other_ip.post(f"{API}/auth/app/token", json=BAD)).status_code == 401


async def test_forwarded_hops_with_ports_get_their_own_buckets(make_settings, database_url, clock):
    """`ip:port` and `[v6]:port` hops (some cloud load balancers) are clients, not "unknown"."""
    settings = make_settings(
        database_url=database_url, rate_limit_token_per_ip="2/minute", trusted_proxies="10.0.0.0/8"
    )
    async with running(settings, clock) as h:
        proxy = h.client_from("10.0.0.2")
        url = f"{API}/auth/app/token"
        for hop in ("192.0.2.1:40000", "192.0.2.2:40001", "[2001:db8::1]:443", "[2001:db9::1]:1"):
            statuses = [
                (await proxy.post(url, json=BAD, headers={"X-Forwarded-For": hop})).status_code
                for _ in range(3)
            ]
            assert statuses == [401, 401, 429], hop


async def test_token_endpoint_limits_per_app_key_across_ips(make_settings, database_url, clock):
    settings = make_settings(database_url=database_url, rate_limit_token_per_key="2/minute")
    async with running(settings, clock) as h:
        statuses = [
            (
                await h.client_from(f"192.0.2.{n}").post(f"{API}/auth/app/token", json=BAD)
            ).status_code
            for n in range(1, 4)
        ]
        assert statuses == [401, 401, 429]


async def test_refresh_endpoint_limits_per_ip(make_settings, database_url, clock):
    settings = make_settings(database_url=database_url, rate_limit_refresh_per_ip="2/minute")
    async with running(settings, clock) as h:
        statuses = [
            (await h.client.post(f"{API}/auth/refresh", json={"refresh": "x"})).status_code
            for _ in range(3)
        ]
        assert statuses == [401, 401, 429]


async def test_redis_limiter_is_shared_between_processes():
    prefix = f"jpay:test:{secrets.token_hex(4)}:"
    first, second = (
        RedisRateLimiter("redis://127.0.0.1:6379/0", prefix),
        RedisRateLimiter("redis://127.0.0.1:6379/0", prefix),
    )
    try:
        rate = Rate(2, 60.0)
        results = [
            await first.hit("k", rate),
            await second.hit("k", rate),
            await first.hit("k", rate),
        ]
        assert [d.allowed for d in results] == [True, True, False]
        assert 1 <= results[2].retry_after <= 30
    finally:
        await first.close()
        await second.close()


async def test_redis_limiter_fails_open_when_redis_is_down():
    limiter = RedisRateLimiter("redis://127.0.0.1:1/0")
    try:
        assert (await limiter.hit("k", Rate(1, 60.0))).allowed
    finally:
        await limiter.close()


async def test_two_processes_share_limits_through_redis(make_settings, database_url, clock):
    ip = f"198.18.{secrets.randbelow(250)}.{secrets.randbelow(250)}"  # unique per run
    settings = make_settings(
        database_url=database_url,
        redis_url="redis://127.0.0.1:6379/0",
        rate_limit_token_per_ip="3/minute",
    )
    async with running(settings, clock) as first, running(settings, clock) as second:
        clients = [first.client_from(ip), second.client_from(ip)] * 2
        statuses = [(await c.post(f"{API}/auth/app/token", json=BAD)).status_code for c in clients]
        assert statuses == [401, 401, 401, 429]
