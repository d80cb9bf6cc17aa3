"""Requests from another client host (run there with `ip netns exec`): prints what came back.

    python -m drills.probe BASE_URL APP_KEY APP_SECRET COUNT

sends COUNT token requests (10 at a time) and prints {"<status> <code>": count, ...} as JSON.
A secret of "-" sends a wrong one (failed logins are what the per-app_key limit counts).
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections import Counter

import httpx


async def tokens(base: str, key: str, secret: str, count: int) -> Counter[str]:
    """COUNT logins at BASE/api/v1/auth/app/token, tallied by status and error code."""
    seen: Counter[str] = Counter()
    limit = asyncio.Semaphore(10)
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
                code = response.json().get("code", "") if response.status_code >= 400 else ""
                seen[f"{response.status_code} {code}".strip()] += 1

        await asyncio.gather(*(one() for _ in range(count)))
    return seen


if __name__ == "__main__":
    base, key, secret, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    secret = "jpay_sk_not-the-secret" if secret == "-" else secret  # noqa: S105
    sys.stdout.write(json.dumps(asyncio.run(tokens(base, key, secret, count))) + "\n")
