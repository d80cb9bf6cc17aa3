"""`python -m bench` (or `make bench`): the server and the bare baseline, side by side.

Every target in issue 5 is a ratio measured in the same run: each server measurement is taken
right after a baseline measurement on the same machine, client and connection count.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import jwt

from bench import load, processes, report, seed
from bench.load import Load

API = "/api/v1"
RESULTS = Path(__file__).resolve().parent / "results"
POSTGRES_ADMIN = os.environ.get(
    "JPAY_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--workers", type=int, default=2, help="server worker processes")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=5, help="length of each measurement")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--no-scaling", action="store_true", help="skip the 1-worker comparison")
    return parser.parse_args()


def ensure_wrk() -> None:
    if shutil.which("wrk"):
        return
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print("installing wrk (Debian package)...", flush=True)
        subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], check=True, capture_output=True)
        return
    sys.exit("wrk is needed: apt-get install wrk")


def database(kind: str, root: Path) -> tuple[str, dict[str, str]]:
    """The database URL and any extra settings for a fresh deployment."""
    if kind == "sqlite":
        return f"sqlite+aiosqlite:///{root / 'bench.db'}", {"JPAY_RATE_LIMIT_ENABLED": "false"}
    import asyncpg

    name = f"jpay_bench_{secrets.token_hex(4)}"

    async def create() -> None:
        conn = await asyncpg.connect(POSTGRES_ADMIN)
        await conn.execute(f'CREATE DATABASE "{name}"')
        await conn.close()

    asyncio.run(create())
    url = (
        POSTGRES_ADMIN.replace("postgresql://", "postgresql+asyncpg://").rsplit("/", 1)[0]
        + "/"
        + name
    )
    # Rate limits stay on, in Redis, set far above the load so every request pays the round trip.
    return url, {
        "JPAY_REDIS_URL": "redis://127.0.0.1:6379/15",
        "JPAY_RATE_LIMIT_TOKEN_PER_IP": "1000000/second",
        "JPAY_RATE_LIMIT_TOKEN_PER_KEY": "1000000/second",
        "JPAY_RATE_LIMIT_REFRESH_PER_IP": "1000000/second",
    }


def machine() -> dict[str, Any]:
    lines = Path("/proc/cpuinfo").read_text().splitlines()
    model = next(
        (line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")),
        platform.processor(),
    )
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "commit": commit.stdout.strip(),
    }


class Run:
    """One benchmark run: servers, tenants, loads, and the measurements taken."""

    def __init__(self, options: argparse.Namespace, root: Path) -> None:
        self.o = options
        self.root = root
        self.rows: list[dict[str, Any]] = []
        self.meta = machine() | {
            "db": options.db,
            "workers": options.workers,
            "connections": options.connections,
            "seconds": options.seconds,
        }
        url, extra = database(options.db, root)
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("JPAY_")} | {
            "JPAY_DATABASE_URL": url,
            "JPAY_SECRET_KEY": secrets.token_urlsafe(48),
            "JPAY_VAR_DIR": str(root / "var"),
            "BENCH_BASELINE_KEY": secrets.token_urlsafe(32),
            **extra,
        }
        seed.cli(self.env, "db", "upgrade")

    def measure(
        self, server: processes.Served, what: Load, compared_with: float | None, round_: int
    ) -> dict[str, Any]:
        result = load.run(what, server, self.o.seconds, self.o.connections, self.o.threads)
        row = {
            "endpoint": what.name,
            "round": round_,
            **result,
            "compared_with": compared_with,
            "time": time.time(),
            **self.meta,
        }
        self.rows.append(row)
        print(
            f"  round {round_} {what.name:28} {result['requests_per_s']:9.0f} requests/s"
            f"  p99 {result['p99_ms']:6.1f} ms  errors {result['errors']:.0f}",
            flush=True,
        )
        return row

    def pair(
        self,
        base: processes.Served,
        base_load: Load,
        server: processes.Served,
        server_load: Load,
        round_: int,
    ) -> None:
        """A baseline measurement, then the server's: A B, every time."""
        reference = self.measure(base, base_load, None, round_)["requests_per_s"]
        self.measure(server, server_load, reference, round_)


def main() -> None:
    options = parse()
    ensure_wrk()
    RESULTS.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="jpay-bench-") as tmp:
        root = Path(tmp)
        run = Run(options, root)
        print(
            f"machine: {run.meta['cpu']}, {run.meta['cores']} cores; db={options.db}, "
            f"workers={options.workers}, {options.connections} connections",
            flush=True,
        )
        rss = measure_all(run, options.workers)
        if not options.no_scaling and options.workers > 1:
            scaling(run)
        out = RESULTS / f"{time.strftime('%Y%m%d-%H%M%S')}-{options.db}.jsonl"
        with out.open("w") as handle:
            for row in run.rows:
                handle.write(json.dumps(row) + "\n")
        print("\n" + report.table(run.rows))
        print("\npeak RSS per worker (MiB): " + ", ".join(f"{k} {v:.0f}" for k, v in rss.items()))
        print("\n" + "\n".join(report.verdicts(run.rows)))
        print(f"\nresults: {out}")


def measure_all(run: Run, workers: int) -> dict[str, float]:
    env, root = run.env, run.root
    with contextlib.ExitStack() as stack:
        server = processes.jpay_server(env, processes.free_port(), workers, root / "server.log")
        stack.callback(server.stop)
        base = processes.baseline(env, processes.free_port(), workers, root / "baseline.log")
        stack.callback(base.stop)
        loads = prepare(run, server.base_url)
        refresh_rate = 0.0
        for round_ in range(1, run.o.rounds + 1):
            for name in ("empty", "full", "unauthorized", "forbidden"):
                run.pair(base, loads["baseline GET"], server, loads[name], round_)
            run.pair(base, loads["baseline POST"], server, loads["token"], round_)
            # Enough tokens for the window, sized from the last refresh measurement (issuance
            # is the upper bound before the first): minting is the slow part of a round.
            expected = refresh_rate or run.rows[-1]["requests_per_s"]
            pool = seed.refresh_pool(
                server.base_url,
                loads["who"],
                int(max(2000, expected * run.o.seconds * 1.6)),
                root / f"refresh-{round_}.txt",
            )
            refresh = Load(
                "POST /auth/refresh",
                f"{API}/auth/refresh",
                script="refresh.lua",
                args=(str(pool), str(run.o.threads)),
            )
            run.pair(base, loads["baseline POST"], server, refresh, round_)
            refresh_rate = run.rows[-1]["requests_per_s"]
        return {
            "jpay-server": max(processes.peak_rss_mb(p) for p in server.workers()),
            "baseline": max(processes.peak_rss_mb(p) for p in base.workers()),
        }


def prepare(run: Run, base_url: str) -> dict[str, Any]:
    """Tenants, request bodies and the loads built from them."""
    env, root = run.env, run.root
    empty = seed.tenant(env, base_url, "collections")
    full = seed.tenant(env, base_url, "collections")
    seed.fill(base_url, full, 50)
    denied = seed.tenant(env, base_url, "payouts")
    baseline_token = jwt.encode(
        {
            "aud": "jpay:api",
            "exp": int(time.time()) + 86400,
            "iat": int(time.time()),
            "user_id": 1,
            "app_code": empty.app_code,
            "products": ["collections"],
            "jti": secrets.token_hex(16),
            "fam": secrets.token_hex(16),
            "ep": 1,
        },
        env["BENCH_BASELINE_KEY"].encode(),
        algorithm="HS256",
    )
    login = root / "login.json"
    login.write_text(json.dumps({"app_key": empty.app_key, "app_secret": empty.app_secret}))
    post = root / "post.json"
    post.write_text(json.dumps({"refresh": "x" * 300}))
    listing = f"{API}/payments/collections/checkouts"
    bearer = lambda token: (("Authorization", f"Bearer {token}"),)  # noqa: E731
    head, body, signature = empty.access.split(".")
    return {
        "who": empty,
        "baseline GET": Load("baseline GET", "/get", bearer(baseline_token)),
        "baseline POST": Load("baseline POST", "/post", script="post.lua", args=(str(post),)),
        "empty": Load("GET checkouts (empty)", listing, bearer(empty.access)),
        "full": Load("GET checkouts (50 rows)", listing + "?page_size=50", bearer(full.access)),
        "unauthorized": Load(
            "GET bad token (401)",
            listing,
            bearer(f"{head}.{body}.{signature[:-4]}AAAA"),
            expect_status=401,
        ),
        "forbidden": Load(
            "GET no product (403)", listing, bearer(denied.access), expect_status=403
        ),
        "token": Load(
            "POST /auth/app/token", f"{API}/auth/app/token", script="post.lua", args=(str(login),)
        ),
    }


def scaling(run: Run) -> None:
    """The protected GET on 1 worker and on the configured count, same run."""
    env, root = run.env, run.root
    for workers in (1, run.o.workers):
        server = processes.jpay_server(
            env, processes.free_port(), workers, root / f"scaling-{workers}.log"
        )
        try:
            who = seed.tenant(env, server.base_url, "collections")
            what = Load(
                f"scaling: GET, {workers} worker{'s' if workers > 1 else ''}",
                f"{API}/payments/collections/checkouts",
                (("Authorization", f"Bearer {who.access}"),),
            )
            for round_ in range(1, run.o.rounds + 1):
                run.measure(server, what, None, round_)
        finally:
            server.stop()


if __name__ == "__main__":
    main()
