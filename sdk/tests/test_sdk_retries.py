"""The one retry policy: rate limits (real server), dropped connections (a real socket that
hangs up), and the 5xx cases the real server cannot be made to produce (httpx.MockTransport).
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
from collections.abc import Iterator

import httpx
import pytest
from live_server import in_process, instrument

from jpay import (
    APIConnectionError,
    APIError,
    AsyncJPay,
    InvalidRequestError,
    JPay,
    RateLimitError,
)
from jpay._retry import RetryPolicy

pytestmark = pytest.mark.anyio
TOKEN = {
    "access": "a.eyJpYXQiOjE3NjQwMDAwMDAsImV4cCI6MTc2NDAwMDkwMCwiYXBwX2NvZGUiOjF9.s",
    "refresh": "r.eyJleHAiOjE3NjQ2MDQ4MDB9.s",
    "merchant_id": 1,
    "app_code": 1,
    "products": ["collections"],
    "expires_in": 900,
    "token_type": "Bearer",
}
EMPTY_PAGE = {"count": 0, "next": None, "previous": None, "results": []}


# ---- rate limits, from the real server ---------------------------------------------------


async def test_rate_limited_login_raises_rate_limit_error_with_retry_after(make_settings, world):
    settings = make_settings(rate_limit_enabled=True, rate_limit_token_per_ip="1/minute")
    async with in_process(settings, world) as server:
        creds = await server.new_app()
        async with server.http() as http:
            first = AsyncJPay(
                creds.app_key, creds.app_secret, base_url=server.base_url, http_client=http
            )
            await first.collections.list()
            second = AsyncJPay(
                creds.app_key,
                creds.app_secret,
                base_url=server.base_url,
                http_client=http,
                max_retries=0,
            )
            with pytest.raises(RateLimitError) as caught:
                await second.collections.list()
    error = caught.value
    assert (error.status, error.code) == (429, "rate_limited")
    assert error.retry_after is not None
    assert 1 <= error.retry_after <= 60
    assert error.request_id
    assert server.recorder.count("/auth/app/token", 429) == 1  # max_retries=0: no retry


async def test_a_429_is_retried_after_the_servers_retry_after(make_settings, world):
    settings = make_settings(rate_limit_enabled=True, rate_limit_token_per_ip="1/second")
    async with in_process(settings, world) as server:
        creds = await server.new_app()
        waits: list[float] = []

        async def sleep(seconds: float) -> None:
            waits.append(seconds)
            await asyncio.sleep(seconds)  # the server's limiter runs on real time

        async with server.http() as http:
            clients = [
                AsyncJPay(
                    creds.app_key, creds.app_secret, base_url=server.base_url, http_client=http
                )
                for _ in range(2)
            ]
            for client in clients:
                instrument(client, sleep=sleep)
            await clients[0].collections.list()
            await clients[1].collections.list()  # 429, waits Retry-After, logs in
    assert server.recorder.count("/auth/app/token", 429) == 1
    assert server.recorder.count("/auth/app/token", 200) == 2
    assert waits == [1.0]  # exactly the Retry-After the server sent


# ---- a server that hangs up ----------------------------------------------------------------


class HangUp:
    """A TCP server on loopback that accepts connections and closes them at once."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.accepted = 0
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}/api/v1"

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted += 1
            conn.recv(65536)  # read the request, then hang up without a word
            conn.close()

    def close(self) -> None:
        self.sock.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept()
        self.sock.close()
        self._thread.join()


@pytest.fixture
def hang_up() -> Iterator[HangUp]:
    server = HangUp()
    yield server
    server.close()


def test_dropped_connections_are_retried_then_raise_connection_error(hang_up: HangUp) -> None:
    waits: list[float] = []
    with JPay("jpay_ak_x", "jpay_sk_y", base_url=hang_up.url, max_retries=3) as client:
        instrument(client, sleep=waits.append, jitter=lambda: 1.0)  # the top of the jitter range
        with pytest.raises(APIConnectionError) as caught:
            client.collections.list()
    assert hang_up.accepted == 4  # the first attempt and three retries
    assert waits == [0.5, 1.0, 2.0]  # 0.5 s doubling, times the jitter factor (at most 1)
    assert caught.value.code == "connection_error"
    assert caught.value.status is None
    assert isinstance(caught.value.__cause__, httpx.TransportError)


async def test_async_dropped_connections_too(hang_up: HangUp) -> None:
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    async with AsyncJPay("jpay_ak_x", "jpay_sk_y", base_url=hang_up.url) as client:
        instrument(client, sleep=sleep)
        with pytest.raises(APIConnectionError):
            await client.collections.list()
    assert hang_up.accepted == 3  # default: two retries
    assert len(waits) == 2
    assert 0.25 <= waits[0] <= 0.5
    assert 0.5 <= waits[1] <= 1.0


def test_nothing_listening_is_a_connection_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = JPay("k", "s", base_url=f"http://127.0.0.1:{port}", max_retries=1)
    instrument(client, sleep=lambda _: None)
    with pytest.raises(APIConnectionError):
        client.wallets.balance()
    client.close()


# ---- what the real server cannot be made to do (MockTransport) ---------------------------


class Script:
    """Answers from a list, after the token call; records every request."""

    def __init__(self, *answers: httpx.Response) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.url.path.endswith("/auth/app/token"):
            return httpx.Response(200, json=TOKEN)
        return self.answers.pop(0)

    def api_requests(self) -> list[httpx.Request]:
        return [r for r in self.requests if "/auth/" not in r.url.path]


def scripted(script: Script, **options: object) -> tuple[JPay, list[float]]:
    waits: list[float] = []
    http = httpx.Client(transport=httpx.MockTransport(script))
    client = JPay("k", "s", base_url="http://jpay.test", http_client=http, **options)  # type: ignore[arg-type]
    instrument(client, sleep=waits.append, jitter=lambda: 0.0, clock=lambda: 1_764_000_000.0)
    return client, waits


def test_503_with_retry_after_is_honoured() -> None:
    script = Script(
        httpx.Response(
            503,
            json={"detail": "busy", "code": "service_unavailable"},
            headers={"Retry-After": "7"},
        ),
        httpx.Response(200, json=EMPTY_PAGE),
    )
    client, waits = scripted(script)
    assert client.collections.list().count == 0
    assert waits == [7.0]


def test_5xx_backoff_is_capped_exponential_and_gives_up_with_api_error() -> None:
    failures = [
        httpx.Response(
            500,
            json={"detail": "Internal server error", "code": "internal_error"},
            headers={"X-Request-ID": f"r{n}"},
        )
        for n in range(7)
    ]
    client, waits = scripted(Script(*failures), max_retries=6)
    instrument(client, max_delay=4.0)
    with pytest.raises(APIError) as caught:
        client.collections.list()
    assert waits == [0.25, 0.5, 1.0, 2.0, 2.0, 2.0]  # base 0.5·2^n capped at 4, times 0.5
    assert (caught.value.status, caught.value.code, caught.value.request_id) == (
        500,
        "internal_error",
        "r6",
    )


def test_a_retry_after_beyond_the_cap_is_not_waited_for() -> None:
    script = Script(
        httpx.Response(
            429,
            json={"detail": "Too many requests", "code": "rate_limited"},
            headers={"Retry-After": "3600"},
        )
    )
    client, waits = scripted(script)
    with pytest.raises(RateLimitError) as caught:
        client.collections.list()
    assert caught.value.retry_after == 3600.0
    assert waits == []


def test_posts_keep_one_idempotency_key_across_retries_and_4xx_is_not_retried() -> None:
    collection = {
        "id": "COLL-20261128-7K2M9Q4X1B",
        "payfrom": "+254712345678",
        "amount": "1000.00",
        "ref_no": "ORDER-2024-001",
        "account_number": "1001",
        "callback_url": "https://x.test/h",
        "status": "pending",
        "status_code": 0,
        "category": "ecommerce",
        "narration": "n",
        "channel": 63902,
        "channel_name": "M-Pesa",
        "channel_type": "Mobile Money",
        "app_code": 1,
        "failure_reason": None,
        "created_at": "28/11/2026 14:30:45",
        "updated_at": "28/11/2026 14:30:45",
    }
    script = Script(
        httpx.Response(502, text="<html>bad gateway</html>"),
        httpx.Response(504, text="gateway timeout"),
        httpx.Response(200, json=collection),
        httpx.Response(
            400, json={"detail": "Invalid amount", "code": "invalid_amount", "field": "amount"}
        ),
    )
    client, waits = scripted(script)
    made = client.collections.initiate(
        payfrom="+254712345678",
        amount="1000",
        ref_no="ORDER-2024-001",
        callback_url="https://x.test/h",
    )
    assert made.id == collection["id"]
    assert len(waits) == 2
    keys = {r.headers["Idempotency-Key"] for r in script.api_requests()}
    assert len(keys) == 1
    assert len(script.api_requests()) == 3
    assert json.loads(script.api_requests()[0].content) == {
        "payfrom": "+254712345678",
        "amount": "1000.00",
        "ref_no": "ORDER-2024-001",
        "callback_url": "https://x.test/h",
        "app_code": 1,
    }
    with pytest.raises(InvalidRequestError) as caught:
        client.collections.initiate(
            payfrom="+254712345678", amount="1.00", ref_no="X", callback_url="https://x.test/h"
        )
    assert (caught.value.field, caught.value.code) == ("amount", "invalid_amount")
    assert len(script.api_requests()) == 4  # the 400 was sent once
    assert script.api_requests()[3].headers["Idempotency-Key"] not in keys  # a new call, a new key


def test_an_unreadable_error_page_does_not_leak_its_body() -> None:
    script = Script(httpx.Response(502, text="<html>Authorization: Bearer leaked</html>"))
    client, _ = scripted(script, max_retries=0)
    with pytest.raises(APIError) as caught:
        client.collections.list()
    assert caught.value.detail == "Bad Gateway"
    assert "leaked" not in str(caught.value)


def test_an_unexpected_success_body_is_an_api_error() -> None:
    client, _ = scripted(Script(httpx.Response(200, json={"unexpected": True})))
    with pytest.raises(APIError) as caught:
        client.wallets.balance()
    assert caught.value.code == "invalid_response"


def test_retry_policy_rules() -> None:
    policy = RetryPolicy(max_retries=2, jitter=lambda: 0.5)
    request = httpx.Request("GET", "http://x.test/")
    assert policy.after_response(0, httpx.Response(404, request=request)) is None
    assert policy.after_response(0, httpx.Response(409, request=request)) is None
    assert policy.after_response(0, httpx.Response(500, request=request)) == 0.375
    assert policy.after_response(2, httpx.Response(500, request=request)) is None
    assert policy.after_error(0, httpx.ConnectError("refused")) == 0.375
    assert policy.after_error(0, httpx.UnsupportedProtocol("ftp")) is None
    with pytest.raises(ValueError, match="max_retries"):
        RetryPolicy(max_retries=-1)
