"""The sync JPay against the real app in process, through Starlette's TestClient.

TestClient is an httpx.Client that runs the app (lifespan included) on its own event loop, so
200 threads can share one JPay exactly as a threaded web server would.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from live_server import API, AppCreds, SyncInProcess, TokenLog, WorldClock, instrument

from jpay import (
    Collection,
    FileTokenStore,
    JPay,
    MemoryTokenStore,
    NotFoundError,
    PermissionDeniedError,
)
from jpay_server.services import merchants, wallets

CHECKOUTS = "/payments/collections/checkouts"
LIFETIME = 900


@pytest.fixture
def creds(sync_server: SyncInProcess) -> AppCreds:
    return sync_server.new_app(products=("collections", "payouts"))


def sdk(server: SyncInProcess, creds: AppCreds, world: WorldClock, **options: object) -> JPay:
    client = JPay(
        creds.app_key,
        creds.app_secret,
        base_url=server.base_url,
        http_client=server.client,
        **options,  # type: ignore[arg-type]
    )
    instrument(client, clock=world.local)
    return client


def test_200_threads_across_an_expiry_make_one_refresh_and_get_no_401(
    sync_server: SyncInProcess, creds: AppCreds, world: WorldClock
) -> None:
    client = sdk(sync_server, creds, world)
    client.collections.list()
    start = threading.Barrier(200)
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            start.wait()
            for call in range(5):
                if n == 0 and call == 2:  # the others are mid-burst: cross the refresh point
                    world.advance(LIFETIME - 30)
                client.collections.list()
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    with ThreadPoolExecutor(200) as pool:
        list(pool.map(worker, range(200)))

    assert errors == []
    recorder = sync_server.recorder
    assert recorder.count("/auth/refresh", 200) == 1
    assert recorder.count("/auth/app/token") == 1
    assert recorder.statuses()[401] == 0
    assert recorder.count(CHECKOUTS, 200) == 1 + 200 * 5


def test_200_threads_after_a_server_side_expiry_renew_once(
    sync_server: SyncInProcess, creds: AppCreds, world: WorldClock
) -> None:
    client = sdk(sync_server, creds, world)
    client.collections.list()
    frozen_local = world.local()
    instrument(client, clock=lambda: frozen_local)  # the SDK cannot see time pass
    world.advance(LIFETIME + 60)

    with ThreadPoolExecutor(200) as pool:
        pages = list(pool.map(lambda _: client.collections.list(), range(200)))

    assert len(pages) == 200
    assert sync_server.recorder.count("/auth/refresh", 200) == 1
    assert sync_server.recorder.count(CHECKOUTS, 200) == 201


def test_quick_start_verbatim_in_sync(
    sync_server: SyncInProcess, creds: AppCreds, world: WorldClock
) -> None:
    with sdk(sync_server, creds, world) as client:
        checkout = client.collections.initiate(
            payfrom="+254712345678",
            amount="100.00",
            ref_no="ORDER-1",
            callback_url="http://127.0.0.1:9/hook",
        )
        assert isinstance(checkout, Collection)
        assert checkout.amount == Decimal("100.00")
        assert client.collections.list(status="pending").count == 1
        assert client.collections.get(checkout.id) == checkout
        sync_server.operate(lambda c, d: wallets.fund(c, d, creds.merchant_id, "50.00"))
        payout = client.payouts.initiate(
            payto="+254712345678", amount="20.00", ref_no="P-1", callback_url="http://x.test/h"
        )
        assert client.payouts.get(payout.id) == payout
        assert [p.id for p in client.payouts.list()] == [payout.id]
        assert client.wallets.balance().payout_wallet_balance == Decimal("30.00")
        assert client.wallets.transactions(wallet="payout").count == 2
        assert [c.code for c in client.channels.list(type="mobile_money")] == [63902, 63903, 63907]
        with pytest.raises(NotFoundError):
            client.payouts.get("PAYOUT-20260101-AAAAAAAAAA")
    assert not sync_server.client.is_closed  # an injected client belongs to its owner


def test_sync_revocation_and_suspension(
    sync_server: SyncInProcess, creds: AppCreds, world: WorldClock
) -> None:
    issued = TokenLog()
    sync_server.client.event_hooks["response"].append(issued.hook)
    client = sdk(sync_server, creds, world)
    client.collections.list()
    sync_server.client.post(f"{API}/auth/revoke", json={"token": issued.refresh})
    sync_server.operate(lambda c, s: _noop())
    sync_server.recorder.clear()
    client.collections.list()
    assert [status for _, _, status in sync_server.recorder.calls] == [401, 401, 200, 200]

    sync_server.operate(lambda c, d: merchants.suspend_merchant(c, d, creds.merchant_id))
    with pytest.raises(PermissionDeniedError) as caught:
        client.wallets.balance()
    assert caught.value.code == "account_suspended"


async def _noop() -> None:
    """An operation that only makes the app apply access changes (operate syncs after it)."""


@pytest.mark.parametrize("kind", ["memory", "file"])
def test_clients_sharing_a_store_share_one_login_and_one_refresh(
    sync_server: SyncInProcess, creds: AppCreds, world: WorldClock, tmp_path, kind: str
) -> None:
    store = MemoryTokenStore() if kind == "memory" else FileTokenStore(tmp_path / "tokens")
    clients = [sdk(sync_server, creds, world, token_store=store) for _ in range(4)]

    def burst() -> None:
        with ThreadPoolExecutor(40) as pool:
            list(pool.map(lambda n: clients[n % 4].collections.list(), range(40)))

    burst()
    world.advance(LIFETIME - 30)
    burst()

    # Without sharing, each of the four clients would log in, and refresh, on its own.
    assert sync_server.recorder.count("/auth/app/token") == 1
    assert sync_server.recorder.count("/auth/refresh") == 1
    assert sync_server.recorder.statuses()[401] == 0
