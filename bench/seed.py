"""Apps, rows and token pools for a run, made through the real endpoints."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

API = "/api/v1"


def cli(env: dict[str, str], *args: str) -> dict[str, Any]:
    """`jpay-server ARGS --json`, as an operator runs it."""
    done = subprocess.run(
        [sys.executable, "-m", "jpay_server", *args, "--json"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, Any] = json.loads(done.stdout)
    return result


@dataclass
class Tenant:
    """An app's credentials and a live access token."""

    app_code: int
    app_key: str
    app_secret: str
    access: str


def tenant(env: dict[str, str], base: str, *products: str) -> Tenant:
    merchant = cli(env, "merchants", "create", "--name", "Bench", "--approved")
    flags = [item for product in products for item in ("--product", product)]
    app = cli(env, "apps", "create", "--merchant", str(merchant["merchant_id"]), *flags)
    body = {"app_key": app["app_key"], "app_secret": app["app_secret"]}
    response = httpx.post(f"{base}{API}/auth/app/token", json=body)
    if response.status_code != 200:
        raise RuntimeError(f"token request failed: {response.status_code} {response.text}")
    access = response.json()["access"]
    return Tenant(app["app_code"], app["app_key"], app["app_secret"], access)


def fill(base: str, who: Tenant, rows: int) -> None:
    """Give an app `rows` collections, so its first page is full."""
    auth = {"Authorization": f"Bearer {who.access}"}
    for n in range(rows):
        body = {
            "payfrom": "+254712345678",
            "amount": "100.00",
            "ref_no": f"BENCH-{n}",
            "callback_url": "http://127.0.0.1:9/webhook",
            "app_code": who.app_code,
        }
        response = httpx.post(
            f"{base}{API}/payments/collections/checkouts/initiate", json=body, headers=auth
        )
        response.raise_for_status()


def refresh_pool(base: str, who: Tenant, count: int, path: Path, concurrency: int = 32) -> Path:
    """Mint `count` fresh refresh tokens through the real endpoint, one per line."""
    body = {"app_key": who.app_key, "app_secret": who.app_secret}

    async def mint() -> list[str]:
        limit = asyncio.Semaphore(concurrency)
        async with httpx.AsyncClient(base_url=base, timeout=30) as client:

            async def one() -> str:
                async with limit:
                    for attempt in range(3):
                        # Setup, not measurement: a kept-alive connection the server closed
                        # just as it was reused is simply tried again.
                        try:
                            response = await client.post(f"{API}/auth/app/token", json=body)
                            break
                        except httpx.TransportError:
                            if attempt == 2:
                                raise
                    response.raise_for_status()
                    return str(response.json()["refresh"])

            return await asyncio.gather(*(one() for _ in range(count)))

    path.write_text("\n".join(asyncio.run(mint())) + "\n")
    return path
