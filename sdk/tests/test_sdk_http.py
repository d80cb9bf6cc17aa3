"""The SDK over real HTTP against real `jpay-server` processes, on real clocks.

Access tokens live 30 s here (JPAY_ACCESS_TOKEN_LIFETIME), so bursts really do run across
an expiry, and end well before the next one even on a slow machine. The sandbox network
settles payments in a fraction of a second and the server's worker delivers signed webhooks
to a receiver on loopback.
"""

from __future__ import annotations

import asyncio
import json
import logging
import subprocess
import sys
import textwrap
import threading
import time
import traceback
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from live_server import (
    AppCreds,
    ServerProcess,
    SqliteTemplate,
    TokenLog,
    WebhookReceiver,
    instrument,
    jpay_reprs,
    server_env,
    start_server,
)

import jpay
from jpay import (
    APIConnectionError,
    AsyncJPay,
    AuthenticationError,
    Collection,
    JPay,
    WebhookEvent,
)
from jpay_server.services import apps, wallets

LIFETIME = 30
FAST = {
    "JPAY_ACCESS_TOKEN_LIFETIME": str(LIFETIME),
    "JPAY_SANDBOX_STEP_DELAY": "0.2",
    "JPAY_WORKER_POLL_INTERVAL": "0.1",
    "JPAY_REFRESH_REUSE_GRACE": "0",
}


@pytest.fixture(scope="module")
def http_server(
    sqlite_template: SqliteTemplate, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServerProcess]:
    root = tmp_path_factory.mktemp("sdk-http")
    server = start_server(server_env(sqlite_template.new(), root / "var", **FAST), root / "log")
    yield server
    server.stop()


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    r = WebhookReceiver()
    yield r
    r.close()


class Seen:
    """httpx event hooks recording (path, status) of every response the SDK received."""

    def __init__(self) -> None:
        self.responses: list[tuple[str, int]] = []
        self.lock = threading.Lock()

    def hook(self, response: httpx.Response) -> None:
        with self.lock:
            self.responses.append((response.request.url.path, response.status_code))

    async def ahook(self, response: httpx.Response) -> None:
        self.hook(response)

    def count(self, suffix: str, status: int | None = None) -> int:
        return sum(1 for p, s in self.responses if p.endswith(suffix) and status in (None, s))

    def statuses(self) -> Counter[int]:
        return Counter(s for _, s in self.responses)


def settled(client: JPay, ident: str) -> Collection:
    for _ in range(200):
        found = client.collections.get(ident)
        if found.status in ("completed", "failed"):
            return found
        time.sleep(0.1)
    raise TimeoutError(ident)


def test_quick_start_verbatim_from_the_environment(
    http_server: ServerProcess, receiver: WebhookReceiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    creds = http_server.new_app(products=("collections", "payouts"))
    http_server.operate(lambda c, d: wallets.fund(c, d, creds.merchant_id, "500.00"))
    monkeypatch.setenv("JPAY_APP_KEY", creds.app_key)
    monkeypatch.setenv("JPAY_APP_SECRET", creds.app_secret)
    monkeypatch.setenv("JPAY_BASE_URL", http_server.base_url)

    client = JPay()
    checkout = client.collections.initiate(
        payfrom="+254712345678", amount="100.00", ref_no="ORDER-1", callback_url=receiver.url
    )
    done = settled(client, checkout.id)
    assert client.collections.list(status="completed").results == [done]
    assert client.collections.get(checkout.id) == done
    payout = client.payouts.initiate(
        payto="+254733000001", amount="50.00", ref_no="PAY-1", callback_url=receiver.url
    )
    assert payout.channel_name == "Airtel Money"
    assert client.wallets.balance().payout_wallet_balance == Decimal("450.00")
    assert [c.name for c in client.channels.list(type="mobile_money")] == [
        "MPesa",
        "AirtelMoney",
        "T-Kash",
    ]
    client.close()

    events = [
        jpay.webhooks.verify(payload=body, headers=headers, secret=creds.webhook_secret)
        for headers, body in receiver.wait_for(2)
    ]
    assert {e.type for e in events} == {"collection.completed", "payout.completed"}
    collected = next(e for e in events if e.type == "collection.completed")
    assert collected.data == done


@pytest.mark.anyio
async def test_1000_tasks_across_a_real_expiry_refresh_once_without_a_401(
    http_server: ServerProcess,
) -> None:
    creds = http_server.new_app()
    seen = Seen()
    # Connections kept alive, as the SDK's own client does: with httpx's default of 20, the
    # burst opened a connection per call and a SYN dropped under CI load delayed requests
    # (their token already attached) past the token's end.
    limits = httpx.Limits(max_connections=100, max_keepalive_connections=100)
    hooks = {"response": [seen.ahook]}
    async with httpx.AsyncClient(event_hooks=hooks, timeout=60, limits=limits) as http:
        client = AsyncJPay(
            creds.app_key, creds.app_secret, base_url=http_server.base_url, http_client=http
        )
        await client.collections.list()  # a 30 s token, renewed 3-4 s before it ends

        async def call(i: int) -> None:
            await asyncio.sleep(21 + i * 0.008)  # 1,000 calls spread over seconds 21 to 29
            await client.collections.list()

        await asyncio.gather(*(call(i) for i in range(1000)))

    assert seen.count("/collections/checkouts", 200) == 1001
    assert seen.count("/auth/app/token") == 1
    assert seen.count("/auth/refresh", 200) == 1
    assert seen.statuses()[401] == 0


def test_200_threads_across_a_real_expiry_refresh_once_without_a_401(
    http_server: ServerProcess,
) -> None:
    creds = http_server.new_app()
    seen = Seen()
    limits = httpx.Limits(max_connections=100, max_keepalive_connections=100)  # see above
    http = httpx.Client(event_hooks={"response": [seen.hook]}, timeout=60, limits=limits)
    client = JPay(creds.app_key, creds.app_secret, base_url=http_server.base_url, http_client=http)
    client.collections.list()

    def call(i: int) -> None:
        time.sleep(24 + i * 0.02)  # 200 threads calling over seconds 24 to 28
        client.collections.list()

    threads = [threading.Thread(target=call, args=(i,)) for i in range(200)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    http.close()

    assert seen.count("/collections/checkouts", 200) == 201
    assert seen.count("/auth/refresh", 200) == 1
    assert seen.statuses()[401] == 0


def test_a_killed_server_is_a_connection_error_and_a_restarted_one_is_used_again(
    sqlite_template: SqliteTemplate, tmp_path: Path
) -> None:
    env = server_env(sqlite_template.new(), tmp_path / "var")
    server = start_server(env, tmp_path / "server.log")
    restarted: list[ServerProcess] = []
    try:
        creds = server.new_app()
        seen = Seen()
        http = httpx.Client(event_hooks={"response": [seen.hook]})
        client = JPay(creds.app_key, creds.app_secret, base_url=server.base_url, http_client=http)
        instrument(client, sleep=lambda _: None)
        client.collections.list()
        server.process.kill()
        server.process.wait()

        with pytest.raises(APIConnectionError):
            client.collections.list()

        # Down again at the next call's first attempt; back up while the SDK waits to retry.
        instrument(
            client, sleep=lambda _: restarted.append(start_server(env, server.log, server.port))
        )
        assert client.collections.list().count == 0
        assert len(restarted) == 1
        assert seen.count("/auth/app/token") == 1  # the same tokens: no new login
        http.close()
    finally:
        server.stop()
        for process in restarted:
            process.stop()


WORKER = textwrap.dedent(
    """
    import json, sys, httpx
    from jpay import FileTokenStore, JPay
    logins = []
    hook = lambda r: logins.append(1) if r.request.url.path.endswith("/auth/app/token") else None
    http = httpx.Client(event_hooks={"response": [hook]})
    client = JPay(http_client=http, token_store=FileTokenStore(sys.argv[1]))
    for _ in range(20):
        client.collections.list()
    print(json.dumps({"logins": len(logins)}))
    """
)


def test_processes_sharing_a_file_store_log_in_once(
    http_server: ServerProcess, tmp_path: Path
) -> None:
    creds = http_server.new_app()
    env = {
        **http_server.env,
        "JPAY_APP_KEY": creds.app_key,
        "JPAY_APP_SECRET": creds.app_secret,
        "JPAY_BASE_URL": http_server.base_url,
    }
    store = tmp_path / "tokens"
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, str(store)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for _ in range(4)
    ]
    results = []
    for worker in workers:
        out, err = worker.communicate(timeout=120)
        assert worker.returncode == 0, err.decode()
        results.append(json.loads(out))
    assert sum(r["logins"] for r in results) == 1
    files = list(store.iterdir())
    assert all(f.stat().st_mode & 0o077 == 0 for f in files if f.suffix == ".json")


def test_the_security_webhook_for_a_reused_refresh_token(
    http_server: ServerProcess, receiver: WebhookReceiver
) -> None:
    creds = http_server.new_app()
    http_server.operate(lambda c, d: apps.set_webhook_url(c, d, creds.app_code, receiver.url))
    issued = TokenLog()
    http = httpx.Client(event_hooks={"response": [issued.hook]})
    client = JPay(creds.app_key, creds.app_secret, base_url=http_server.base_url, http_client=http)
    client.collections.list()
    spent = issued.refresh
    refresh_soon(client)
    client.collections.list()  # the SDK refreshes: `spent` is used up
    assert len(issued.pairs) == 2
    replay = httpx.post(f"{http_server.base_url}/auth/refresh", json={"refresh": spent})
    assert replay.json()["code"] == "refresh_token_reused"

    ((headers, body),) = receiver.wait_for(1)
    event = jpay.webhooks.verify(payload=body, headers=headers, secret=creds.webhook_secret)
    assert isinstance(event, WebhookEvent)
    assert event.type == "security.refresh_token_reused"
    assert isinstance(event.data, dict)
    assert event.data["app_code"] == creds.app_code
    client.collections.list()  # and the SDK carries on
    client.close()
    http.close()


def refresh_soon(client: JPay) -> None:
    """Move the SDK's clock past its token's refresh point (the server's stays): it refreshes."""
    instrument(client, clock=lambda: time.time() + LIFETIME)


def test_no_token_or_secret_in_logs_reprs_or_tracebacks(
    http_server: ServerProcess, caplog: pytest.LogCaptureFixture
) -> None:
    creds = http_server.new_app()
    issued: list[str] = []

    def keep_tokens(response: httpx.Response) -> None:
        if "/auth/" in response.request.url.path and response.status_code == 200:
            response.read()
            issued.extend(response.json()[k] for k in ("access", "refresh"))

    caplog.set_level(logging.DEBUG)
    http = httpx.Client(event_hooks={"response": [keep_tokens]})
    client = JPay(creds.app_key, creds.app_secret, base_url=http_server.base_url, http_client=http)
    client.collections.list()
    refresh_soon(client)
    client.collections.list()  # a refresh
    httpx.post(f"{http_server.base_url}/auth/revoke", json={"token": issued[-1]})
    time.sleep(1.5)  # the server applies the revocation within a second
    client.collections.list()  # 401, refresh refused, log in afresh
    failures = [_failure(client.collections.get, "COLL-20260101-AAAAAAAAAA")]
    wrong = JPay(creds.app_key, creds.app_secret + "x", base_url=http_server.base_url)
    failures.append(_failure(wrong.wallets.balance))
    gone = JPay(creds.app_key, creds.app_secret, base_url="http://127.0.0.1:9", max_retries=0)
    failures.append(_failure(gone.channels.list))

    secrets = [*issued, creds.app_secret, creds.app_secret + "x"]
    assert len(issued) == 6  # login, refresh, login again
    exposed = [record.getMessage() for record in caplog.records]
    exposed += jpay_reprs(client)
    for error in failures:
        exposed += [str(error), repr(error)]
        exposed += traceback.TracebackException.from_exception(error, capture_locals=True).format()
    text = "\n".join(exposed)
    assert "jpay: refresh token refused (token_revoked); logging in again" in text
    for secret in secrets:
        assert secret not in text
    http.close()
    for c in (client, wrong, gone):
        c.close()


def _failure(call, *args: object) -> jpay.JPayError:
    try:
        call(*args)
    except jpay.JPayError as exc:
        return exc
    raise AssertionError("expected an error")


def test_wrong_credentials_over_http(http_server: ServerProcess) -> None:
    creds: AppCreds = http_server.new_app()
    client = JPay(creds.app_key, "jpay_sk_nope", base_url=http_server.base_url)
    with client, pytest.raises(AuthenticationError) as caught:
        client.collections.list()
    assert caught.value.code == "invalid_credentials"
    assert caught.value.request_id
