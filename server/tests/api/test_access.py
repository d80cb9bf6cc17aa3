"""The access decision on protected routes, and operator changes biting on live tokens."""

from __future__ import annotations

import asyncio
import contextlib
import re
import socket
import time

import pytest

from jpay_server.services import apps, merchants
from jpay_server.store.db import open_database
from tests.harness import running, stop_polling, unreachable_database

pytestmark = pytest.mark.anyio


async def test_every_step_has_its_code(harness):
    creds = await harness.app_credentials()
    tokens = await harness.tokens(creds)
    code, m = creds.app.app_code, creds.app.merchant_id

    async def expect(status, error_code):
        await harness.sync()
        response = await harness.checkouts(tokens["access"])
        assert (response.status_code, response.json().get("code")) == (status, error_code)

    await expect(200, None)
    await harness.run(lambda c, d: apps.set_products(c, d, code, ["payouts"]))
    await expect(403, "product_not_enabled")
    await harness.run(lambda c, d: apps.set_products(c, d, code, ["collections"]))
    await harness.run(lambda c, d: apps.set_active(c, d, code, False))
    await expect(403, "app_inactive")
    await harness.run(lambda c, d: merchants.suspend_merchant(c, d, m))
    await expect(403, "account_suspended")
    await harness.run(lambda c, d: apps.allow_ip(c, d, code, "203.0.113.0/24"))
    await expect(403, "ip_not_allowed")
    await harness.run(lambda c, d: apps.disallow_ip(c, d, code, "203.0.113.0/24"))
    await harness.run(lambda c, d: merchants.reinstate_merchant(c, d, m))
    await expect(403, "app_inactive")
    await harness.run(lambda c, d: apps.set_active(c, d, code, True))
    await expect(200, None)  # the same token works again: nothing was revoked


async def test_missing_and_malformed_headers(harness):
    response = await harness.client.get("/api/v1/payments/collections/checkouts")
    assert response.status_code == 401
    assert response.json() == {
        "detail": "Authentication credentials were not provided",
        "code": "not_authenticated",
    }
    assert response.headers["www-authenticate"] == 'Bearer realm="jpay"'
    for value in ("Token abc", "Bearer", "Bearer a b c"):
        response = await harness.client.get(
            "/api/v1/payments/collections/checkouts", headers={"Authorization": value}
        )
        assert response.json()["code"] == "invalid_authorization_header"


async def test_pending_merchant_cannot_get_tokens(harness):
    pending = await harness.merchant(approved=False)
    creds = await harness.app_credentials(merchant=pending)
    response = await harness.token(creds)
    assert response.status_code == 403
    assert response.json() == {
        "detail": "Merchant not approved or app inactive",
        "code": "merchant_not_approved",
    }
    await harness.run(lambda c, d: merchants.approve_merchant(c, d, pending.id))
    await harness.sync()
    assert (await harness.token(creds)).status_code == 200


async def test_token_and_refresh_endpoints_check_allowlist_and_state(harness):
    creds = await harness.app_credentials(allowed_ips=["192.0.2.0/24"])
    inside = harness.client_from("192.0.2.10")
    outside = harness.client_from("198.51.100.7")
    # The token endpoint does not confirm a right secret from outside (docs/decisions.md).
    assert (await harness.token(creds, outside)).json()["code"] == "invalid_credentials"
    tokens = (await harness.token(creds, inside)).json()
    assert (await harness.refresh(tokens["refresh"], outside)).json()["code"] == "ip_not_allowed"
    assert (await harness.checkouts(tokens["access"], outside)).json()["detail"] == (
        "Access denied: IP address not allowed"
    )
    assert (await harness.checkouts(tokens["access"], inside)).status_code == 200
    await harness.run(lambda c, d: merchants.suspend_merchant(c, d, creds.app.merchant_id))
    await harness.sync()
    assert (await harness.refresh(tokens["refresh"], inside)).json()["code"] == "account_suspended"
    assert (await harness.token(creds, inside)).json()["code"] == "account_suspended"


async def test_forwarded_for_counts_only_from_trusted_proxies(make_settings, database_url, clock):
    settings = make_settings(
        database_url=database_url, rate_limit_enabled=False, trusted_proxies="10.0.0.0/8"
    )
    async with running(settings, clock) as h:
        creds = await h.app_credentials(allowed_ips=["192.0.2.10/32"])
        via_proxy = h.client_from("10.1.1.1")
        direct = h.client_from("198.51.100.7")
        spoof = {"X-Forwarded-For": "192.0.2.10"}
        body = {"app_key": creds.app.app_key, "app_secret": creds.app_secret}
        ok = await via_proxy.post("/api/v1/auth/app/token", json=body, headers=spoof)
        assert ok.status_code == 200
        refused = await direct.post("/api/v1/auth/app/token", json=body, headers=spoof)
        assert refused.json()["code"] == "invalid_credentials"  # not confirmed from outside
        left_spoof = {"X-Forwarded-For": "192.0.2.10, 198.51.100.7"}
        refused = await via_proxy.post("/api/v1/auth/app/token", json=body, headers=left_spoof)
        assert refused.json()["code"] == "invalid_credentials"


async def test_changes_reach_the_process_through_the_background_sync(harness):
    """No explicit sync: the poller alone must apply the suspension within a second."""
    import asyncio
    import time

    creds = await harness.app_credentials()
    tokens = await harness.tokens(creds)
    await harness.run(lambda c, d: merchants.suspend_merchant(c, d, creds.app.merchant_id))
    started = time.monotonic()
    while (response := await harness.checkouts(tokens["access"])).status_code == 200:
        assert time.monotonic() - started < 1.0, "suspension did not bite within 1 second"
        await asyncio.sleep(0.02)
    assert response.json()["code"] == "account_suspended"


ACCESS_TABLES = re.compile(
    r"\b(app|merchant|app_secret|refresh_family|refresh_token|signing_key|access_change|"
    r"access_counter)\b"
)


async def test_hot_path_makes_no_database_round_trip(harness):
    """The access decision reads memory only; the list's own query is all there is."""
    from sqlalchemy import event

    tokens = await harness.tokens(await harness.app_credentials())
    assert (await harness.checkouts(tokens["access"])).status_code == 200  # warms the cache
    await stop_polling(harness)
    statements: list[str] = []
    engines = harness.runtime.database.engines()

    def listener(*args: object) -> None:
        if not str(args[2]).startswith("BEGIN"):  # SQLite's explicit BEGIN is not a query
            statements.append(str(args[2]))

    for engine in engines:
        event.listen(engine, "before_cursor_execute", listener)
    try:
        for _ in range(20):
            assert (await harness.checkouts(tokens["access"])).status_code == 200
        per_request = len(statements) / 20
        bad = await harness.checkouts(tokens["access"][:-4] + "AAAA")
        assert bad.status_code == 401
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", listener)
    assert not [sql for sql in statements if ACCESS_TABLES.search(sql)]
    assert per_request == 1  # the page; a short first page needs no separate count
    assert len(statements) == 20  # and the rejected token cost nothing


def later(seconds: float):
    """A monotonic clock `seconds` ahead of the real one (as if that long had passed)."""
    return lambda: time.monotonic() + seconds


async def test_stale_access_state_fails_closed(make_settings, database_url, clock):
    settings = make_settings(database_url=database_url, rate_limit_enabled=False)
    async with running(settings, clock) as h:
        tokens = await h.tokens(await h.app_credentials())
        await stop_polling(h)
        h.runtime.access.monotonic = later(settings.access_state_max_staleness + 1)
        h.runtime.access.database = unreachable_database()
        response = await h.checkouts(tokens["access"])
        assert response.status_code == 503
        assert response.json()["code"] == "service_unavailable"


async def test_a_database_that_stops_answering_gives_a_503_not_a_hung_request(
    make_settings, database_url, clock
):
    """A partition drops packets: the sync must give up, or every request hangs with it."""
    settings = make_settings(database_url=database_url, rate_limit_enabled=False)
    with socket.create_server(("127.0.0.1", 0)) as silent:  # accepts, never answers
        port = silent.getsockname()[1]
        async with running(settings, clock) as h:
            tokens = await h.tokens(await h.app_credentials())
            await stop_polling(h)
            access = h.runtime.access
            access.monotonic = later(settings.access_state_max_staleness + 1)
            access.database = open_database(f"postgresql+asyncpg://postgres@127.0.0.1:{port}/x")
            # asyncpg alone would wait 60 s for the server's greeting.
            response = await asyncio.wait_for(h.checkouts(tokens["access"]), 10)
            assert response.status_code == 503
            # A background sync stuck the same way: requests meanwhile answer 503 too.
            stuck = asyncio.create_task(access.run(asyncio.Event()))
            await asyncio.sleep(2 * settings.access_state_poll_interval)
            try:
                response = await asyncio.wait_for(h.checkouts(tokens["access"]), 10)
            finally:
                stuck.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await stuck
            assert response.status_code == 503


async def test_a_process_behind_a_pruned_log_reloads_even_with_no_newer_change(harness, clock):
    """Cut off for longer than the log keeps changes, a process must not trust its cache."""
    from jpay_server.services.maintenance import housekeep

    creds = await harness.app_credentials()
    tokens = await harness.tokens(creds)
    assert (await harness.checkouts(tokens["access"])).status_code == 200
    await stop_polling(harness)
    await harness.run(lambda c, d: merchants.suspend_merchant(c, d, creds.app.merchant_id))
    clock.advance(61 * 60)
    await harness.run(housekeep)  # another process prunes the change before we read it
    await harness.sync()
    clock.advance(-61 * 60)
    assert (await harness.checkouts(tokens["access"])).json()["code"] == "account_suspended"


async def test_cached_state_expires_even_if_a_change_was_never_logged(harness):
    """The TTL is the safety net for a change that reached the database without the log."""
    from dataclasses import replace

    from jpay_server.domain.merchants import MerchantStatus
    from jpay_server.services.access import APP_STATE_TTL
    from jpay_server.store.merchants import merchant_by_id, save_merchant

    creds = await harness.app_credentials()
    tokens = await harness.tokens(creds)
    assert (await harness.checkouts(tokens["access"])).status_code == 200
    await stop_polling(harness)

    def suspend_silently(conn):
        merchant = merchant_by_id(conn, creds.app.merchant_id)
        save_merchant(conn, replace(merchant, status=MerchantStatus.SUSPENDED), harness.clock())

    await harness.database.write(suspend_silently)
    assert (await harness.checkouts(tokens["access"])).status_code == 200  # still cached
    harness.runtime.access.monotonic = later(APP_STATE_TTL + 1)
    assert (await harness.checkouts(tokens["access"])).json()["code"] == "account_suspended"
