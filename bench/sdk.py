"""`python -m bench.sdk` (or `make bench-sdk`): the SDK's own cost per request.

`JPay.collections.list()` against the least a user could write with httpx for the same call
(`GET` with the Bearer token, `raise_for_status()`, `.json()`), both against one running
`jpay-server`, each on its own kept-alive connection, one request at a time. Blocks of the two
alternate (A B, B A, ...) so that drift on a shared machine falls on both; the verdict is the
median over rounds of each round's ratio of wall time per request. Client CPU per request
(this process's, which is only the client) is printed beside it: on a loaded machine it is the
steadier figure of what the SDK itself adds. Target (issue 13): at most 1.15x the bare call.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import secrets
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from bench import processes, seed
from bench.__main__ import RESULTS, machine
from jpay import JPay

API = "/api/v1"
LIST = f"{API}/payments/collections/checkouts"
TARGET = 1.15
# What the SDK's own client uses (jpay/_config.py), so both sides reuse connections alike.
LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=100)


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.sdk", description=__doc__)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--requests", type=int, default=100, help="requests per block")
    parser.add_argument("--profile", action="store_true", help="profile the SDK's blocks")
    return parser.parse_args()


def bare(base: str, who: seed.Tenant) -> tuple[httpx.Client, Callable[[], Any]]:
    """The bare call: one httpx.Client, the token already in hand."""
    http = httpx.Client(base_url=base, limits=LIMITS, timeout=30)
    headers = {"Authorization": f"Bearer {who.access}", "Accept": "application/json"}

    def call() -> Any:
        response = http.get(LIST, headers=headers)
        response.raise_for_status()
        return response.json()

    return http, call


def block(call: Callable[[], Any], count: int) -> tuple[float, float]:
    """Wall and client-CPU seconds per request over `count` calls."""
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(count):
        call()
    return (time.perf_counter() - wall) / count, (time.process_time() - cpu) / count


def measure(
    name: str, base: str, who: seed.Tenant, options: argparse.Namespace
) -> list[dict[str, Any]]:
    """Alternating blocks of the bare call and the SDK's, for one tenant."""
    http, plain = bare(base, who)
    client = JPay(who.app_key, who.app_secret, base_url=base)
    sdk = client.collections.list
    block(plain, 50)  # warm both: connections open, the SDK logged in
    block(sdk, 50)
    profile = cProfile.Profile() if options.profile else None
    rows = []
    for round_ in range(1, options.rounds + 1):
        order = [("bare", plain), ("sdk", sdk)]
        times: dict[str, tuple[float, float]] = {}
        for side, call in order if round_ % 2 else reversed(order):
            if profile is not None and side == "sdk":
                profile.enable()
            times[side] = block(call, options.requests)
            if profile is not None and side == "sdk":
                profile.disable()
        row = {
            "endpoint": name,
            "round": round_,
            "bare_ms": times["bare"][0] * 1000,
            "sdk_ms": times["sdk"][0] * 1000,
            "bare_cpu_ms": times["bare"][1] * 1000,
            "sdk_cpu_ms": times["sdk"][1] * 1000,
            "ratio": times["sdk"][0] / times["bare"][0],
        }
        rows.append(row)
        print(
            f"  round {round_:2} {name:14} bare {row['bare_ms']:6.2f} ms  sdk {row['sdk_ms']:6.2f}"
            f" ms  ratio {row['ratio']:.3f}  client CPU {row['bare_cpu_ms']:.2f} /"
            f" {row['sdk_cpu_ms']:.2f} ms",
            flush=True,
        )
    client.close()
    http.close()
    if profile is not None:
        print(f"\nprofile of the SDK's blocks ({name}), by own time:")
        pstats.Stats(profile).sort_stats("tottime").print_stats(15)
    return rows


def summary(rows: list[dict[str, Any]]) -> list[str]:
    """One line per endpoint: medians, the ratio, and the verdict."""
    lines = [
        "| list | bare ms/req | SDK ms/req | ratio (median of rounds, min-max) |"
        " client CPU ms/req bare / SDK | verdict |",
        "|---|---|---|---|---|---|",
    ]
    for name in dict.fromkeys(row["endpoint"] for row in rows):
        mine = [row for row in rows if row["endpoint"] == name]
        ratios = [row["ratio"] for row in mine]
        ratio = statistics.median(ratios)

        def med(key: str, of: list[dict[str, Any]] = mine) -> float:
            return statistics.median(row[key] for row in of)

        lines.append(
            f"| {name} | {med('bare_ms'):.2f} | {med('sdk_ms'):.2f} | {ratio:.3f}"
            f" ({min(ratios):.2f}-{max(ratios):.2f}) | {med('bare_cpu_ms'):.2f} /"
            f" {med('sdk_cpu_ms'):.2f} | {'PASS' if ratio <= TARGET else 'MISS'}"
            f" (<= {TARGET}x) |"
        )
    return lines


def main() -> None:
    options = parse()
    RESULTS.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="jpay-bench-sdk-") as tmp:
        root = Path(tmp)
        env = {k: v for k, v in os.environ.items() if not k.startswith("JPAY_")} | {
            "JPAY_DATABASE_URL": f"sqlite+aiosqlite:///{root / 'bench.db'}",
            "JPAY_SECRET_KEY": secrets.token_urlsafe(48),
            "JPAY_VAR_DIR": str(root / "var"),
            "JPAY_RATE_LIMIT_ENABLED": "false",
        }
        seed.cli(env, "db", "upgrade")
        server = processes.jpay_server(env, processes.free_port(), 1, root / "server.log")
        try:
            empty = seed.tenant(env, server.base_url, "collections")
            full = seed.tenant(env, server.base_url, "collections")
            seed.fill(server.base_url, full, 50)
            meta = machine() | {"requests": options.requests, "rounds": options.rounds}
            print(f"machine: {meta['cpu']}, {meta['cores']} cores; 1 server worker", flush=True)
            rows = measure("empty", server.base_url, empty, options)
            rows += measure("page of 50", server.base_url, full, options)
        finally:
            server.stop()
    out = RESULTS / f"{time.strftime('%Y%m%d-%H%M%S')}-sdk.jsonl"
    with out.open("w") as handle:
        for row in rows:
            handle.write(json.dumps(row | meta) + "\n")
    print("\n" + "\n".join(summary(rows)))
    print(f"\nresults: {out}")


if __name__ == "__main__":
    main()
