"""AsyncJPay's token lifecycle against the real app in process (httpx.ASGITransport).

The server runs on a frozen clock; the SDK's clock follows it (or runs an offset off it), so
"time passes" exactly when a test says so. Every count below is of requests that reached the
real app, recorded in front of it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from live_server import API, AppCreds, InProcess, TokenLog, WorldClock, in_process, instrument

from jpay import (
    AsyncJPay,
    AuthenticationError,
    FileTokenStore,
    InvalidRequestError,
    Page,
    PermissionDeniedError,
)
from jpay_server.services import merchants

pytestmark = pytest.mark.anyio
CHECKOUTS = "/payments/collections/checkouts"
LIFETIME = 900  # the server's default access-token lifetime


@pytest.fixture
async def creds(server: InProcess) -> AppCreds:
    return await server.new_app()


@pytest.fixture
def issued() -> TokenLog:
    return TokenLog()


@pytest.fixture
async def client(
    server: InProcess, creds: AppCreds, world: WorldClock, issued: TokenLog
) -> AsyncIterator[AsyncJPay]:
    async with server.http(event_hooks={"response": [issued.ahook]}) as http:
        sdk = AsyncJPay(creds.app_key, creds.app_secret, base_url=server.base_url, http_client=http)
        instrument(sdk, clock=world.local)
        yield sdk


async def test_first_call_logs_in_once_and_reuses_the_token(
    server: InProcess, client: AsyncJPay
) -> None:
    pages = await asyncio.gather(*(client.collections.list() for _ in range(50)))
    assert all(isinstance(p, Page) and p.count == 0 for p in pages)
    assert server.recorder.count("/auth/app/token") == 1
    assert server.recorder.count("/auth/refresh") == 0
    assert server.recorder.count(CHECKOUTS, 200) == 50


@pytest.mark.parametrize("offset", [0.0, -3600.0, 3600.0], ids=["same", "behind", "ahead"])
async def test_1000_tasks_across_an_expiry_make_one_refresh_and_get_no_401(
    make_settings, offset: float
) -> None:
    # The SDK's clock is `offset` seconds off the server's: it must judge expiry by the
    # server's clock (estimated from the token's iat), not its own.
    world = WorldClock(offset=offset)
    async with in_process(make_settings(), world) as server:
        creds = await server.new_app()
        issued = TokenLog()
        async with server.http(event_hooks={"response": [issued.ahook]}) as http:
            client = AsyncJPay(
                creds.app_key, creds.app_secret, base_url=server.base_url, http_client=http
            )
            instrument(client, clock=world.local)
            await client.collections.list()

            async def call(i: int) -> Page[object]:
                if i == 500:  # half the burst is in flight: time crosses the refresh point
                    world.advance(LIFETIME - 30)
                return await client.collections.list()

            pages = await asyncio.gather(*(call(i) for i in range(1000)))

            assert len(pages) == 1000
            assert server.recorder.count("/auth/refresh", 200) == 1
            assert server.recorder.count("/auth/app/token") == 1
            assert server.recorder.statuses()[401] == 0
            assert server.recorder.count(CHECKOUTS, 200) == 1001
            assert len(issued.pairs) == 2
            # Past the first token's expiry (and the server's leeway) the new one still works.
            world.advance(60)
            await client.collections.list()
            assert server.recorder.count("/auth/refresh") == 1
            assert server.recorder.statuses()[401] == 0


async def test_a_local_clock_far_ahead_does_not_cause_refreshes(make_settings) -> None:
    world = WorldClock(offset=+7200.0)  # a naive client would think every token expired
    async with in_process(make_settings(), world) as server:
        creds = await server.new_app()
        async with server.http() as http:
            client = AsyncJPay(
                creds.app_key, creds.app_secret, base_url=server.base_url, http_client=http
            )
            instrument(client, clock=world.local)
            for _ in range(20):
                await client.collections.list()
                world.advance(10)
            assert server.recorder.count("/auth/app/token") == 1
            assert server.recorder.count("/auth/refresh") == 0


async def test_server_side_expiry_renews_once_for_1000_tasks(
    server: InProcess, creds: AppCreds, world: WorldClock
) -> None:
    # The SDK's clock stands still while the server's jumps past the token's expiry: the
    # SDK cannot know, sends, gets 401 token_expired, and must renew once for everyone.
    async with server.http() as http:
        client = AsyncJPay(
            creds.app_key, creds.app_secret, base_url=server.base_url, http_client=http
        )
        frozen_local = world.local()
        instrument(client, clock=lambda: frozen_local)
        await client.collections.list()
        world.advance(LIFETIME + 60)

        pages = await asyncio.gather(*(client.collections.list() for _ in range(1000)))

        assert len(pages) == 1000
        assert server.recorder.count("/auth/refresh", 200) == 1
        assert server.recorder.count("/auth/app/token") == 1
        assert server.recorder.count(CHECKOUTS, 401) >= 1
        assert server.recorder.count(CHECKOUTS, 200) == 1001


async def test_rotated_refresh_tokens_are_kept(
    server: InProcess, client: AsyncJPay, world: WorldClock
) -> None:
    # The docs' sample forgets the rotated refresh token and is logged out at its second
    # refresh (the first token is spent). Five refreshes in a row must all succeed.
    await client.collections.list()
    for _ in range(5):
        world.advance(LIFETIME - 30)
        await client.collections.list()
    assert server.recorder.count("/auth/refresh", 200) == 5
    assert server.recorder.count("/auth/app/token") == 1
    assert server.recorder.statuses()[401] == 0


async def test_revoked_family_logs_in_afresh(
    server: InProcess, client: AsyncJPay, issued: TokenLog
) -> None:
    await client.collections.list()
    async with server.http() as other:
        # Someone logs this login out (RFC 7009 revocation of the token's family).
        response = await other.post(f"{API}/auth/revoke", json={"token": issued.access})
        assert response.json() == {"revoked": True}
    await server.runtime.access.sync()
    server.recorder.clear()

    page = await client.collections.list()

    assert page.count == 0
    assert server.recorder.calls == [
        ("GET", API + CHECKOUTS, 401),  # token_revoked
        ("POST", API + "/auth/refresh", 401),  # the refresh token is revoked too
        ("POST", API + "/auth/app/token", 200),  # so: log in afresh
        ("GET", API + CHECKOUTS, 200),
    ]


async def test_reuse_of_a_spent_refresh_token_revokes_the_family_and_the_sdk_recovers(
    server: InProcess, client: AsyncJPay, world: WorldClock, issued: TokenLog
) -> None:
    await client.collections.list()
    stolen = issued.refresh
    world.advance(LIFETIME - 30)
    await client.collections.list()  # the SDK refreshes: the stolen token is now spent
    world.advance(31)  # past the server's 30 s grace window
    async with server.http() as attacker:
        replay = await attacker.post(f"{API}/auth/refresh", json={"refresh": stolen})
    assert replay.status_code == 401
    assert replay.json()["code"] == "refresh_token_reused"
    await server.runtime.access.sync()
    server.recorder.clear()

    await client.collections.list()

    assert server.recorder.calls == [
        ("GET", API + CHECKOUTS, 401),  # token_revoked: the whole family went
        ("POST", API + "/auth/refresh", 401),
        ("POST", API + "/auth/app/token", 200),
        ("GET", API + CHECKOUTS, 200),
    ]


async def test_an_expired_refresh_token_is_not_sent_the_sdk_logs_in(
    make_settings, world: WorldClock
) -> None:
    # A refresh family ends after JPAY_REFRESH_TOKEN_LIFETIME (here 60 s); the access token
    # is capped at the same end. The SDK knows from the refresh token's exp and logs in.
    async with in_process(make_settings(refresh_token_lifetime=60), world) as server:
        creds = await server.new_app()
        async with server.http() as http:
            client = AsyncJPay(
                creds.app_key, creds.app_secret, base_url=server.base_url, http_client=http
            )
            instrument(client, clock=world.local)
            await client.collections.list()
            world.advance(57)
            await client.collections.list()
            assert server.recorder.count("/auth/app/token", 200) == 2
            assert server.recorder.count("/auth/refresh") == 0
            assert server.recorder.statuses()[401] == 0


async def test_suspended_merchant_gets_permission_denied_and_recovers_on_reinstatement(
    server: InProcess, creds: AppCreds, client: AsyncJPay
) -> None:
    await client.collections.list()
    await server.operate(lambda c, d: merchants.suspend_merchant(c, d, creds.merchant_id))
    server.recorder.clear()

    with pytest.raises(PermissionDeniedError) as caught:
        await client.collections.list()

    error = caught.value
    assert (error.status, error.code) == (403, "account_suspended")
    assert error.detail == "Merchant account is suspended"
    assert error.request_id
    assert server.recorder.calls == [("GET", API + CHECKOUTS, 403)]  # no retry, no renewal
    await server.operate(lambda c, d: merchants.reinstate_merchant(c, d, creds.merchant_id))
    assert (await client.collections.list()).count == 0
    assert server.recorder.count("/auth/app/token") == 0  # the same tokens work again


async def test_suspended_merchant_cannot_log_in(server: InProcess, creds: AppCreds) -> None:
    await server.operate(lambda c, d: merchants.suspend_merchant(c, d, creds.merchant_id))
    async with server.http() as http:
        client = AsyncJPay(
            creds.app_key, creds.app_secret, base_url=server.base_url, http_client=http
        )
        with pytest.raises(PermissionDeniedError) as caught:
            await client.collections.list()
    assert caught.value.code == "account_suspended"
    assert server.recorder.count("/auth/app/token", 403) == 1


async def test_missing_product_is_permission_denied(server: InProcess) -> None:
    creds = await server.new_app(products=())
    async with server.http() as http:
        client = AsyncJPay(
            creds.app_key, creds.app_secret, base_url=server.base_url, http_client=http
        )
        with pytest.raises(PermissionDeniedError) as caught:
            await client.collections.list()
    assert caught.value.code == "product_not_enabled"


async def test_wrong_secret_is_an_authentication_error_without_retries(
    server: InProcess, creds: AppCreds
) -> None:
    async with server.http() as http:
        client = AsyncJPay(
            creds.app_key, "jpay_sk_wrong", base_url=server.base_url, http_client=http
        )
        with pytest.raises(AuthenticationError) as caught:
            await client.collections.list()
    assert (caught.value.status, caught.value.code) == (401, "invalid_credentials")
    assert caught.value.request_id
    assert server.recorder.calls == [("POST", API + "/auth/app/token", 401)]


async def test_bad_query_is_invalid_request_with_field(client: AsyncJPay) -> None:
    with pytest.raises(InvalidRequestError) as caught:
        await client.collections.list(page=0)
    error = caught.value
    assert (error.status, error.code, error.field) == (400, "invalid_query_parameter", "page")
    assert error.detail == "Invalid query parameter: page"


async def test_async_clients_sharing_a_file_store_share_one_login_and_refresh(
    server: InProcess, creds: AppCreds, world: WorldClock, tmp_path
) -> None:
    store = FileTokenStore(tmp_path / "tokens")
    async with server.http() as http:
        clients = [
            AsyncJPay(
                creds.app_key,
                creds.app_secret,
                base_url=server.base_url,
                http_client=http,
                token_store=store,
            )
            for _ in range(3)
        ]
        for client in clients:
            instrument(client, clock=world.local)
        await asyncio.gather(*(clients[n % 3].collections.list() for n in range(60)))
        world.advance(LIFETIME - 30)
        await asyncio.gather(*(clients[n % 3].collections.list() for n in range(60)))
    assert server.recorder.count("/auth/app/token") == 1
    assert server.recorder.count("/auth/refresh") == 1
    assert server.recorder.statuses()[401] == 0
