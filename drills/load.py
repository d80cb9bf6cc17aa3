"""A steady mixed load through the load balancer, recorded request by request.

A few clients, each a loop that logs in once, then cycles through what a merchant's backend
does: list and read collections, read the balance and the ledger, collect, pay out (half of
them to a number that fails, so reversals happen too), refresh its tokens. Money-moving POSTs
carry an Idempotency-Key and are retried with it after a failure that may not have reached the
database (503, 502, 504, a dropped connection), as the API docs tell a client to do.
"""

from __future__ import annotations

import asyncio
import itertools
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from drills.deployment import API, HOOKS, LB

CLIENTS = 4
PACE = 0.08  # seconds between one client's requests: about 40 requests/s in all
RETRYABLE = {0, 502, 503, 504}
MAX_SECONDS = 540  # the load stops by itself even if the driver never says so


@dataclass(frozen=True, slots=True)
class Sample:
    """One request: when it ended (monotonic), what it was, what came back."""

    t: float
    op: str
    status: int  # 0: no HTTP answer (connection refused, reset, timeout)
    code: str


@dataclass
class App:
    """Credentials of an app the load or a drill uses."""

    app_code: int
    app_key: str
    app_secret: str
    merchant_id: int
    webhook_secret: str = ""

    @classmethod
    def from_cli(cls, made: dict[str, Any]) -> App:
        return cls(
            made["app_code"],
            made["app_key"],
            made["app_secret"],
            made["merchant_id"],
            made.get("webhook_secret") or "",
        )


@dataclass
class Load:
    """The clients, their record, and what the API acknowledged."""

    app: App
    samples: list[Sample] = field(default_factory=list)
    collections: set[str] = field(default_factory=set)  # ids the API answered 200 for
    payouts: set[str] = field(default_factory=set)
    _stop: asyncio.Event = field(default_factory=asyncio.Event)
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)
    _refs: itertools.count[int] = field(default_factory=itertools.count)

    def start(self) -> None:
        self._tasks = [asyncio.create_task(self._client(n)) for n in range(CLIENTS)]

    async def stop(self) -> None:
        self._stop.set()
        await asyncio.gather(*self._tasks)

    def between(self, start: float, end: float) -> Counter[str]:
        """Answers by status (and code) between two monotonic times."""
        return Counter(f"{s.status} {s.code}".strip() for s in self.samples if start <= s.t <= end)

    def server_errors(self) -> list[Sample]:
        """Every 500 (or other 5xx that is not a clean 502/503/504) the load ever got."""
        return [s for s in self.samples if s.status >= 500 and s.status not in RETRYABLE]

    async def _client(self, n: int) -> None:
        deadline = time.monotonic() + MAX_SECONDS
        async with httpx.AsyncClient(base_url=LB + API, timeout=20) as http:
            session = _Session(self, http)
            ops = itertools.cycle(session.operations())
            while not self._stop.is_set() and time.monotonic() < deadline:
                await next(ops)()
                await asyncio.sleep(PACE)

    def record(self, op: str, response: httpx.Response | None, error: str = "") -> None:
        if response is None:
            self.samples.append(Sample(time.monotonic(), op, 0, error))
            return
        code = ""
        if response.status_code >= 400:
            try:
                code = str(response.json().get("code", ""))
            except ValueError:
                code = "(not json)"
        self.samples.append(Sample(time.monotonic(), op, response.status_code, code))

    def next_ref(self, prefix: str) -> str:
        return f"{prefix}-{next(self._refs)}"


class _Session:
    """One client's tokens and its cycle of operations."""

    def __init__(self, load: Load, http: httpx.AsyncClient) -> None:
        self.load = load
        self.http = http
        self.access = ""
        self.refresh = ""
        self.last_collection = ""

    def operations(self) -> list[Callable[[], Awaitable[None]]]:
        return [
            self.list_collections,
            self.balance,
            self.collect,
            self.read_collection,
            self.refresh_tokens,
            self.pay_out,
            self.ledger,
            self.list_collections,
            self.collect,
            self.refresh_tokens,
        ]

    async def call(self, op: str, method: str, path: str, **kw: Any) -> httpx.Response | None:
        if not self.access and op != "token":
            await self.login()
        headers = kw.pop("headers", {})
        if op not in ("token", "refresh"):
            headers["Authorization"] = f"Bearer {self.access}"
        try:
            response = await self.http.request(method, path, headers=headers, **kw)
        except httpx.HTTPError as exc:
            self.load.record(op, None, type(exc).__name__)
            return None
        self.load.record(op, response)
        if response.status_code == 401 and op not in ("token", "refresh"):
            self.access = ""  # log in again next time
        return response

    async def login(self) -> None:
        app = self.load.app
        body = {"app_key": app.app_key, "app_secret": app.app_secret}
        response = await self.call("token", "POST", "/auth/app/token", json=body)
        if response is not None and response.status_code == 200:
            self.access, self.refresh = response.json()["access"], response.json()["refresh"]

    async def refresh_tokens(self) -> None:
        if not self.refresh:
            await self.login()
            return
        response = await self.call(
            "refresh", "POST", "/auth/refresh", json={"refresh": self.refresh}
        )
        if response is not None and response.status_code == 200:
            self.access, self.refresh = response.json()["access"], response.json()["refresh"]
        elif response is not None and response.status_code < 500:
            self.refresh = ""

    async def list_collections(self) -> None:
        await self.call("list", "GET", "/payments/collections/checkouts")

    async def read_collection(self) -> None:
        if self.last_collection:
            await self.call(
                "read", "GET", f"/payments/collections/checkouts/{self.last_collection}"
            )

    async def balance(self) -> None:
        await self.call("balance", "GET", "/wallets/balance")

    async def ledger(self) -> None:
        await self.call("ledger", "GET", "/wallets/transactions")

    async def collect(self) -> None:
        body = {
            "payfrom": "+254712345678",
            "amount": "2.00",
            "ref_no": self.load.next_ref("LOAD-C"),
            "callback_url": f"{HOOKS}/fast/load",
            "app_code": self.load.app.app_code,
        }
        found = await self.post_once("collect", "/payments/collections/checkouts/initiate", body)
        if found:
            self.last_collection = found
            self.load.collections.add(found)

    async def pay_out(self) -> None:
        ref = self.load.next_ref("LOAD-P")
        body = {
            # Every other payout goes to a number the sandbox declines: its debit is reversed.
            "payto": "+254733000002"
            if ref.endswith(("1", "3", "5", "7", "9"))
            else "+254712345678",
            "amount": "1.00",
            "ref_no": ref,
            "callback_url": f"{HOOKS}/fast/load",
            "app_code": self.load.app.app_code,
        }
        found = await self.post_once("payout", "/payments/payouts/initiate", body)
        if found:
            self.load.payouts.add(found)

    async def post_once(self, op: str, path: str, body: dict[str, Any]) -> str:
        """POST with one Idempotency-Key, retried while the answer says nothing happened."""
        headers = {"Idempotency-Key": str(uuid.uuid4())}
        for _ in range(8):
            response = await self.call(op, "POST", path, json=body, headers=dict(headers))
            if response is not None and response.status_code not in RETRYABLE:
                if response.status_code == 200:
                    return str(response.json()["id"])
                return ""
            await asyncio.sleep(0.5)
        return ""
