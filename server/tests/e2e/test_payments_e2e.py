"""The payments sandbox over real HTTP: real servers, real workers, a real webhook receiver."""

from __future__ import annotations

import asyncio
import signal
import time
from typing import Any

import httpx
import pytest

from jpay_server.services import wallets
from tests.e2e.conftest import Deployment, database_for
from tests.e2e.servers import serve, server_env, worker
from tests.e2e.test_multiprocess import get_tokens
from tests.receiver import receiving

pytestmark = pytest.mark.e2e
API = "/api/v1"


def shop(deployment: Deployment) -> tuple[dict[str, Any], dict[str, str]]:
    app = deployment.new_app(products=("collections", "payouts"))
    return app, {
        "Authorization": f"Bearer {get_tokens(deployment.servers[0].base_url, app)['access']}"
    }


def wait_status(
    base: str, path: str, auth: dict[str, str], status: str, limit: float = 15
) -> dict[str, Any]:
    deadline = time.monotonic() + limit
    while True:
        found: dict[str, Any] = httpx.get(f"{base}{API}{path}", headers=auth).json()
        if found["status"] == status:
            return found
        assert time.monotonic() < deadline, f"still {found['status']}, wanted {status}"
        time.sleep(0.1)


def test_collection_and_payout_lifecycles_with_verified_webhooks(deployment):
    a, b = deployment.servers
    app, auth = shop(deployment)
    webhook_secret = deployment.operate(lambda c, s: _rotate(c, s, app["app_code"]))
    with receiving() as receiver:
        collected = httpx.post(
            f"{a.base_url}{API}/payments/collections/checkouts/initiate",
            headers=auth,
            json={
                "payfrom": "+254712345678",
                "amount": "700.00",
                "ref_no": "E2E-C1",
                "callback_url": receiver.url,
                "app_code": app["app_code"],
            },
        ).json()
        done = wait_status(
            b.base_url, f"/payments/collections/checkouts/{collected['id']}", auth, "completed"
        )
        moved = httpx.post(
            f"{b.base_url}{API}/wallets/transfers", headers=auth, json={"amount": "500.00"}
        )
        assert moved.status_code == 200
        paid = httpx.post(
            f"{b.base_url}{API}/payments/payouts/initiate",
            headers=auth,
            json={
                "payto": "+254733000002",
                "amount": "400.00",
                "ref_no": "E2E-P1",
                "callback_url": receiver.url,
                "app_code": app["app_code"],
            },
        ).json()
        failed = wait_status(a.base_url, f"/payments/payouts/{paid['id']}", auth, "failed")
        receiver.wait_for(2)
        events = {e["type"]: e["data"] for e in receiver.events(webhook_secret)}
    assert events == {"collection.completed": done, "payout.failed": failed}
    balance = httpx.get(f"{a.base_url}{API}/wallets/balance", headers=auth).json()
    assert balance == {
        "collection_wallet_balance": "200.00",
        "payout_wallet_balance": "500.00",
        "total_balance": "700.00",
    }


async def _rotate(ctx, session, app_code):
    from jpay_server.services.apps import rotate_app_webhook_secret

    return (await rotate_app_webhook_secret(ctx, session, app_code)).webhook_secret


def test_a_receiver_that_fails_first_gets_the_event_once_as_a_success(deployment):
    a, _ = deployment.servers
    app, auth = shop(deployment)
    secret = deployment.operate(lambda c, s: _rotate(c, s, app["app_code"]))
    with receiving() as receiver:
        receiver.script = [(500, {}, 0), (502, {}, 0), (503, {"Retry-After": "1"}, 0)]
        httpx.post(
            f"{a.base_url}{API}/payments/collections/checkouts/initiate",
            headers=auth,
            json={
                "payfrom": "+254712345678",
                "amount": "10.00",
                "ref_no": "E2E-R1",
                "callback_url": receiver.url,
                "app_code": app["app_code"],
            },
        )
        receiver.wait_for(4)
        time.sleep(3)  # long enough for any further (wrong) attempt to show up
        assert [r.answered for r in receiver.received] == [500, 502, 503, 204]
        assert len({r.headers["webhook-id"] for r in receiver.received}) == 1
        assert [e["type"] for e in receiver.events(secret)] == ["collection.completed"]


def test_killing_the_worker_mid_delivery_loses_no_event(request, tmp_path):
    env = server_env(
        database_for(request, "postgres"), tmp_path / "var", JPAY_WORKER_IN_PROCESS="false"
    )
    with serve(env, tmp_path / "server.log") as server:
        deployment = Deployment(env, (server, server))
        app, auth = shop(deployment)
        secret = deployment.operate(lambda c, s: _rotate(c, s, app["app_code"]))
        with receiving() as receiver:
            receiver.script = [(204, {}, 1.5)]  # the first delivery hangs: the worker dies in it
            made = httpx.post(
                f"{server.base_url}{API}/payments/collections/checkouts/initiate",
                headers=auth,
                json={
                    "payfrom": "+254712345678",
                    "amount": "10.00",
                    "ref_no": "E2E-K1",
                    "callback_url": receiver.url,
                    "app_code": app["app_code"],
                },
            ).json()
            with worker(env, tmp_path / "worker.log") as first:
                deadline = time.monotonic() + 20
                while not receiver.received and not first.poll():
                    assert time.monotonic() < deadline, "the first worker never tried to deliver"
                    time.sleep(0.02)
                    if receiver.script == []:  # the hanging request is being served now
                        first.send_signal(signal.SIGKILL)
                        break
                first.wait()
            assert first.returncode == -signal.SIGKILL  # it really died mid-delivery
            with worker(env, tmp_path / "worker2.log"):
                receiver.wait_for(2, timeout=30)
            events = receiver.events(secret)
        assert {e["data"]["id"] for e in events} == {made["id"]}
        final = httpx.get(
            f"{server.base_url}{API}/payments/collections/checkouts/{made['id']}", headers=auth
        )
        assert final.json()["status"] == "completed"


def test_racing_payouts_on_two_processes_never_overdraw(deployment):
    a, b = deployment.servers
    app, auth = shop(deployment)
    deployment.operate(lambda c, d: wallets.fund(c, d, app["merchant_id"], "1000.00"))

    async def race() -> list[int]:
        async with httpx.AsyncClient(timeout=30) as client:
            calls = [
                client.post(
                    f"{base}{API}/payments/payouts/initiate",
                    headers=auth,
                    json={
                        "payto": "+254712345678",
                        "amount": "100.00",
                        "ref_no": f"RACE-{n}",
                        "callback_url": "http://127.0.0.1:9/h",
                        "app_code": app["app_code"],
                    },
                )
                for n, base in enumerate([a.base_url, b.base_url] * 15)
            ]
            return [r.status_code for r in await asyncio.gather(*calls)]

    codes = asyncio.run(race())
    assert sorted(codes) == [200] * 10 + [400] * 20
    balance = httpx.get(f"{a.base_url}{API}/wallets/balance", headers=auth).json()
    assert balance["payout_wallet_balance"] == "0.00"
    ledger = httpx.get(
        f"{b.base_url}{API}/wallets/transactions?wallet=payout&page_size=100", headers=auth
    ).json()
    assert ledger["count"] == 11
    assert sum(float(e["amount"]) for e in ledger["results"]) == 0.0
