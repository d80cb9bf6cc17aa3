"""Requests from another client host (run there with `ip netns exec`): prints what came back.

python -m drills.probe logins BASE_URL APP_KEY APP_SECRET COUNT
    COUNT token requests (10 at a time); prints {"<status> <code>": count, ...} as JSON.
    A secret of "-" sends a wrong one (failed logins are what the per-app_key limit counts).
python -m drills.probe session BASE_URL APP_KEY APP_SECRET
    one login, then GET /wallets/balance with its access token; prints both statuses and
    the access token as JSON.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections import Counter
from typing import Any

import httpx

CONCURRENCY = 4  # logins in flight at once: each may pass the limiter's check before any counts
WRONG_SECRET = "jpay_sk_not-the-secret"  # noqa: S105 - deliberately wrong


def answer(response: httpx.Response) -> str:
    """'200', or '403 ip_not_allowed': the status and, for an error, its code."""
    code = response.json().get("code", "") if response.status_code >= 400 else ""
    return f"{response.status_code} {code}".strip()


async def logins(base: str, key: str, secret: str, count: int) -> Counter[str]:
    """COUNT logins at BASE/api/v1/auth/app/token, tallied by answer."""
    seen: Counter[str] = Counter()
    limit = asyncio.Semaphore(CONCURRENCY)
    async with httpx.AsyncClient(base_url=base, timeout=20) as http:

        async def one() -> None:
            async with limit:
                try:
                    response = await http.post(
                        "/api/v1/auth/app/token", json={"app_key": key, "app_secret": secret}
                    )
                except httpx.HTTPError as exc:
                    seen[f"0 {type(exc).__name__}"] += 1
                    return
                seen[answer(response)] += 1

        await asyncio.gather(*(one() for _ in range(count)))
    return seen


async def session(base: str, key: str, secret: str) -> dict[str, Any]:
    """A login and one protected GET with its token."""
    async with httpx.AsyncClient(base_url=base, timeout=20) as http:
        login = await http.post(
            "/api/v1/auth/app/token", json={"app_key": key, "app_secret": secret}
        )
        access = login.json().get("access", "") if login.status_code == 200 else ""
        got = await http.get(
            "/api/v1/wallets/balance", headers={"Authorization": f"Bearer {access}"}
        )
    return {"token": answer(login), "get": answer(got), "access": access}


def main(argv: list[str]) -> None:
    mode, base, key, secret = argv[:4]
    secret = WRONG_SECRET if secret == "-" else secret  # noqa: S105 - "-" asks for a wrong one
    if mode == "logins":
        result: object = asyncio.run(logins(base, key, secret, int(argv[4])))
    else:
        result = asyncio.run(session(base, key, secret))
    sys.stdout.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
