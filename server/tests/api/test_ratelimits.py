"""429 with Retry-After on brute force, per IP and per app_key, in memory and in Redis."""

from __future__ import annotations

import asyncio
import logging
import secrets
import socket
import subprocess
import time

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
        assert not (await second.peek("k", rate)).allowed
        assert [(await first.peek("fresh", rate)).allowed for _ in range(5)] == [True] * 5
    finally:
        await first.close()
        await second.close()


async def test_redis_hit_and_peek_counts_the_hit_and_not_the_peek():
    """The token endpoint's two limits in one script: the per-IP hit counts, the per-key peek
    does not (that it is one round trip is a cost, measured by bench/, not asserted here)."""
    prefix = f"jpay:test:{secrets.token_hex(4)}:"
    first, second = (
        RedisRateLimiter("redis://127.0.0.1:6379/0", prefix),
        RedisRateLimiter("redis://127.0.0.1:6379/0", prefix),
    )
    try:
        rate = Rate(2, 60.0)
        assert (await second.hit("key", rate)).allowed
        assert (await second.hit("key", rate)).allowed
        answers = [await first.hit_and_peek(("ip", rate), ("key", rate)) for _ in range(3)]
        assert [(hit.allowed, peek.allowed) for hit, peek in answers] == [
            (True, False),
            (True, False),
            (False, False),
        ]
        assert 1 <= answers[2][0].retry_after <= 30
        assert 1 <= answers[0][1].retry_after <= 30
        assert not (await second.hit("ip", rate)).allowed  # the hits were shared
        hit, peek = await first.hit_and_peek(("other-ip", rate), ("unused-key", rate))
        assert hit.allowed
        assert peek.allowed
        assert (await second.hit("unused-key", rate)).allowed  # peeking counted nothing
        assert (await second.hit("unused-key", rate)).allowed
    finally:
        await first.close()
        await second.close()


async def test_redis_down_falls_back_to_the_process_limiter_and_logs_once(caplog):
    """An outage degrades limits to per process (not off), with one warning, not one per hit."""
    limiter = RedisRateLimiter("redis://127.0.0.1:1/0")
    try:
        with caplog.at_level(logging.INFO, logger="jpay_server.store.ratelimits"):
            rate = Rate(2, 60.0)
            first = [(await limiter.hit("k", rate)).allowed for _ in range(3)]
            assert first == [True, True, False]
            assert (await limiter.hit("other", rate)).allowed
            for _ in range(50):
                await limiter.hit("k", rate)
        warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
        assert len(warnings) == 1, [r.getMessage() for r in warnings]
    finally:
        await limiter.close()


async def test_limits_are_shared_again_when_redis_comes_back(tmp_path, caplog):
    """A real redis-server stopped and started: per-process during the outage, shared after."""
    port = free_port()
    server = start_redis(port, tmp_path)
    prefix = f"jpay:test:{secrets.token_hex(4)}:"
    url = f"redis://127.0.0.1:{port}/0"
    first, second = RedisRateLimiter(url, prefix), RedisRateLimiter(url, prefix)
    rate = Rate(2, 60.0)
    try:
        with caplog.at_level(logging.INFO, logger="jpay_server.store.ratelimits"):
            assert (await first.hit("shared", rate)).allowed
            server.terminate()
            server.wait(timeout=10)
            # Down: each process counts for itself, so each admits its own 2.
            assert [(await first.hit("down", rate)).allowed for _ in range(3)] == [
                True,
                True,
                False,
            ]
            assert (await second.hit("down", rate)).allowed
            server = start_redis(port, tmp_path)
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:  # the limiter probes Redis again within 1 s
                await asyncio.sleep(0.2)
                await first.hit("probe", Rate(1000, 1.0))
                await second.hit("probe", Rate(1000, 1.0))
                if "answers again" in caplog.text and caplog.text.count("answers again") >= 2:
                    break
            shared = [(await c.hit("after", rate)).allowed for c in (first, second, first)]
            assert shared == [True, True, False]
        warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
        assert len(warnings) == 2  # one per limiter, one outage each
    finally:
        await first.close()
        await second.close()
        server.terminate()
        server.wait(timeout=10)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def start_redis(port: int, directory) -> subprocess.Popen[bytes]:
    """A private redis-server on loopback, answering PING before this returns."""
    server = subprocess.Popen(
        [
            "/usr/bin/redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(directory),
        ],
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return server
        time.sleep(0.05)
    server.terminate()
    raise RuntimeError("redis-server did not start")


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
