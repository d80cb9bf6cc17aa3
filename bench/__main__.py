"""`python -m bench` (or `make bench`): jpay-server, the bare reference and the peers, side by side.

Every target in issue 13 is a ratio measured in the same run: each measurement of jpay-server
or a peer is taken right after a measurement of the reference (Starlette + PyJWT, no access
log, same uvicorn settings) on the same machine, client and connection count: A B, A B, ...
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

from bench import drf, load, processes, profile, report, seed
from bench.load import Load

API = "/api/v1"
RESULTS = Path(__file__).resolve().parent / "results"
POSTGRES_ADMIN = os.environ.get(
    "JPAY_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
LISTING = f"{API}/payments/collections/checkouts"


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--workers", type=int, default=2, help="server worker processes")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=5, help="length of each measurement")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--no-scaling", action="store_true", help="skip the 1-worker comparison")
    parser.add_argument("--no-peers", action="store_true", help="skip the DRF + simplejwt peer")
    parser.add_argument(
        "--no-access-log-line",
        action="store_true",
        help="skip the second reference line (the same reference with its access log on)",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="instead of measuring: py-spy on jpay-server's workers under each load, by category",
    )
    return parser.parse_args()


def ensure_wrk() -> None:
    if shutil.which("wrk"):
        return
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print("installing wrk (Debian package)...", flush=True)
        subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], check=True, capture_output=True)
        return
    sys.exit("wrk is needed: apt-get install wrk")


def _postgres(statement: str) -> None:
    import asyncpg

    async def run() -> None:
        conn = await asyncpg.connect(POSTGRES_ADMIN)
        try:
            await conn.execute(statement)
        finally:
            await conn.close()

    asyncio.run(run())


def database(kind: str, root: Path) -> tuple[str, dict[str, str], str | None]:
    """The database URL, any extra settings, and the PostgreSQL database's name."""
    if kind == "sqlite":
        return (
            f"sqlite+aiosqlite:///{root / 'bench.db'}",
            {"JPAY_RATE_LIMIT_ENABLED": "false"},
            None,
        )
    name = f"jpay_bench_{secrets.token_hex(4)}"
    _postgres(f'CREATE DATABASE "{name}"')
    url = (
        POSTGRES_ADMIN.replace("postgresql://", "postgresql+asyncpg://").rsplit("/", 1)[0]
        + "/"
        + name
    )
    # Rate limits stay on, in Redis, set far above the load so every request pays the round trip.
    return (
        url,
        {
            "JPAY_REDIS_URL": "redis://127.0.0.1:6379/15",
            "JPAY_RATE_LIMIT_TOKEN_PER_IP": "1000000/second",
            "JPAY_RATE_LIMIT_TOKEN_PER_KEY": "1000000/second",
            "JPAY_RATE_LIMIT_REFRESH_PER_IP": "1000000/second",
        },
        name,
    )


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
        # PostgreSQL's and Redis's own CPU over each window, as CI runs them beside the app.
        self.services = ("postgres", "redis-server") if options.db == "postgres" else ()
        url, extra, self.pg_name = database(options.db, root)
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("JPAY_")} | {
            "JPAY_DATABASE_URL": url,
            "JPAY_SECRET_KEY": secrets.token_urlsafe(48),
            "JPAY_VAR_DIR": str(root / "var"),
            "BENCH_BASELINE_KEY": secrets.token_urlsafe(32),
            **extra,
        }
        self.drf_env = drf.environment(
            self.env, root, POSTGRES_ADMIN if options.db == "postgres" else None
        )
        if self.drf_env.get("BENCH_DRF_POSTGRES"):
            _postgres(f'CREATE DATABASE "{self.drf_env["BENCH_DRF_POSTGRES"]}"')
        seed.cli(self.env, "db", "upgrade")

    def drop_databases(self) -> None:
        """PostgreSQL databases made for the run (a SQLite file goes with the directory)."""
        for name in (self.pg_name, self.drf_env.get("BENCH_DRF_POSTGRES")):
            if name:
                with contextlib.suppress(Exception):
                    _postgres(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def measure(
        self,
        server: processes.Served,
        what: Load,
        reference: dict[str, Any] | None,
        round_: int,
    ) -> dict[str, Any]:
        result = load.run(
            what, server, self.o.seconds, self.o.connections, self.o.threads, self.services
        )
        row = {
            "endpoint": what.name,
            "round": round_,
            **result,
            "compared_with": reference["requests_per_s"] if reference else None,
            "compared_p99_ms": reference["p99_ms"] if reference else None,
            "time": time.time(),
            **self.meta,
        }
        self.rows.append(row)
        cores = "".join(
            f"  {name.removesuffix('_cores')} {result[name]:.2f} cores"
            for name in result
            if name.endswith("_cores")
        )
        print(
            f"  round {round_} {what.name:34} {result['requests_per_s']:9.0f} requests/s"
            f"  p99 {result['p99_ms']:7.1f} ms  errors {result['errors']:.0f}{cores}",
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
        """A reference measurement, then the other's: A B, every time."""
        reference = self.measure(base, base_load, None, round_)
        self.measure(server, server_load, reference, round_)


def main() -> None:
    options = parse()
    ensure_wrk()
    RESULTS.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="jpay-bench-") as tmp:
        root = Path(tmp)
        started = time.monotonic()
        run = Run(options, root)
        try:
            print(
                f"machine: {run.meta['cpu']}, {run.meta['cores']} cores; db={options.db}, "
                f"workers={options.workers}, {options.connections} connections",
                flush=True,
            )
            if options.profile:
                profile.main(run, prepare)
                return
            rss = measure_all(run, options.workers)
            if not options.no_scaling and options.workers > 1:
                scaling(run)
        finally:
            run.drop_databases()
        out = RESULTS / f"{time.strftime('%Y%m%d-%H%M%S')}-{options.db}.jsonl"
        with out.open("w") as handle:
            for row in run.rows:
                handle.write(json.dumps(row) + "\n")
        print("\n" + report.table(run.rows))
        print("\npeak RSS per worker (MiB): " + ", ".join(f"{k} {v:.0f}" for k, v in rss.items()))
        print("\n" + report.verdicts(run.rows, options.db))
        minutes, seconds = divmod(int(time.monotonic() - started), 60)
        print(f"\nresults: {out} ({minutes} m {seconds} s)")


def measure_all(run: Run, workers: int) -> dict[str, float]:
    env, root = run.env, run.root
    with contextlib.ExitStack() as stack:
        server = processes.jpay_server(env, processes.free_port(), workers, root / "server.log")
        stack.callback(server.stop)
        base = processes.reference(env, processes.free_port(), workers, root / "reference.log")
        stack.callback(base.stop)
        logged = None
        if not run.o.no_access_log_line:
            logged = processes.reference(
                env, processes.free_port(), workers, root / "reference-logged.log", access_log=True
            )
            stack.callback(logged.stop)
        peer = None
        if not run.o.no_peers:
            peer = drf.start(run.drf_env, workers, root)
            stack.callback(peer.stop)
        loads = prepare(run, server.base_url)
        peers = peer_loads(peer, root) if peer else {}
        for round_ in range(1, run.o.rounds + 1):
            gets, posts = plan(server, logged, peer, loads, peers, round_)
            for served, what in gets:
                run.pair(base, loads["reference GET"], served, what, round_)
            for served, what in posts:
                run.pair(base, loads["reference POST"], served, what, round_)
            refresh(run, base, loads, server, loads["who"], server.base_url, round_)
            if peer:
                refresh(
                    run, base, loads, peer.default, peer.fast, peer.one_iteration.base_url, round_
                )
        rss = {
            "jpay-server": max(processes.peak_rss_mb(p) for p in server.workers()),
            "reference": max(processes.peak_rss_mb(p) for p in base.workers()),
        }
        if peer:
            rss["DRF"] = max(processes.peak_rss_mb(p) for p in peer.default.workers())
        return rss


Pairs = list[tuple[processes.Served, Load]]


def plan(
    server: processes.Served,
    logged: processes.Served | None,
    peer: drf.Peer | None,
    loads: dict[str, Any],
    peers: dict[str, Load],
    round_: int,
) -> tuple[Pairs, Pairs]:
    """A round's loads after the reference GET, and after the reference POST."""
    gets = [(server, loads[name]) for name in ("empty", "full", "unauthorized", "forbidden")]
    posts = [(server, loads["token"])]
    if logged:
        gets.append((logged, loads["logged GET"]))
        posts.append((logged, loads["logged POST"]))
    if peer:
        gets += [(peer.default, peers["empty"]), (peer.default, peers["full"])]
        posts.append((peer.one_iteration, peers["fast token"]))
        if round_ == 1:
            # Once a run: at about a second of CPU per token its ratio is ~0.001x whatever
            # the noise.
            posts.append((peer.default, peers["token"]))
    return gets, posts


def refresh(
    run: Run,
    base: processes.Served,
    loads: dict[str, Any],
    served: processes.Served,
    who: seed.Tenant,
    mint_url: str,
    round_: int,
) -> None:
    """The reference POST, then refreshes, each with a fresh refresh token minted for it."""
    prefix = "DRF " if served.name == "drf" else ""
    name = f"{prefix}POST /auth/refresh"
    # Enough tokens for the window: 1.6x the faster of the last refresh measurement and this
    # round's token issuance (refresh is rarely faster; the machine's noise can double a rate
    # between rounds, and a drained pool turns the rest of the window into 401s).
    issuer = "DRF token (1-iteration hasher)" if prefix else "POST /auth/app/token"
    rates = [
        next((r["requests_per_s"] for r in reversed(run.rows) if r["endpoint"] == n), 0.0)
        for n in (name, issuer)
    ]
    expected = max(rates) or 2000.0
    pool = seed.refresh_pool(
        mint_url,
        who,
        int(max(2000, expected * run.o.seconds * 1.6)),
        run.root / f"refresh-{served.name}-{round_}.txt",
    )
    what = Load(
        name, f"{API}/auth/refresh", script="refresh.lua", args=(str(pool), str(run.o.threads))
    )
    run.pair(base, loads["reference POST"], served, what, round_)


def peer_loads(peer: drf.Peer, root: Path) -> dict[str, Load]:
    """The DRF peer's loads: the same paths, bodies and page sizes as jpay-server's."""
    bearer = lambda token: (("Authorization", f"Bearer {token}"),)  # noqa: E731
    bodies = {}
    for name, who in (("default", peer.empty), ("one-iteration", peer.fast)):
        bodies[name] = root / f"drf-login-{name}.json"
        bodies[name].write_text(json.dumps({"app_key": who.app_key, "app_secret": who.app_secret}))
    token = f"{API}/auth/app/token"
    return {
        "empty": Load("DRF GET (empty)", LISTING, bearer(peer.empty.access)),
        "full": Load("DRF GET (50 rows)", LISTING + "?page_size=50", bearer(peer.full.access)),
        # Each token costs about a second of CPU (PBKDF2, 10**6 iterations): at 64 connections
        # every hash in flight shares 2 cores, none finishes inside wrk's 10 s timeout, and the
        # rate is what the cores allow anyway. So: 4 connections, for 10 s.
        "token": Load(
            "DRF token (default hasher, 4 conns)",
            token,
            script="post.lua",
            args=(str(bodies["default"]),),
            min_seconds=10,
            connections=4,
        ),
        "fast token": Load(
            "DRF token (1-iteration hasher)",
            token,
            script="post.lua",
            args=(str(bodies["one-iteration"]),),
        ),
    }


def prepare(run: Run, base_url: str) -> dict[str, Any]:
    """Tenants, request bodies and the loads built from them."""
    env, root = run.env, run.root
    empty = seed.tenant(env, base_url, "collections")
    full = seed.tenant(env, base_url, "collections")
    seed.fill(base_url, full, 50)
    denied = seed.tenant(env, base_url, "payouts")
    reference_token = jwt.encode(
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
    bearer = lambda token: (("Authorization", f"Bearer {token}"),)  # noqa: E731
    head, body, signature = empty.access.split(".")
    return {
        "who": empty,
        "full who": full,
        "reference GET": Load("reference GET", "/get", bearer(reference_token)),
        "reference POST": Load("reference POST", "/post", script="post.lua", args=(str(post),)),
        "logged GET": Load("reference GET, access log on", "/get", bearer(reference_token)),
        "logged POST": Load(
            "reference POST, access log on", "/post", script="post.lua", args=(str(post),)
        ),
        "empty": Load("GET checkouts (empty)", LISTING, bearer(empty.access)),
        "full": Load("GET checkouts (50 rows)", LISTING + "?page_size=50", bearer(full.access)),
        "unauthorized": Load(
            "GET bad token (401)",
            LISTING,
            bearer(f"{head}.{body}.{signature[:-4]}AAAA"),
            expect_status=401,
        ),
        "forbidden": Load(
            "GET no product (403)", LISTING, bearer(denied.access), expect_status=403
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
                LISTING,
                (("Authorization", f"Bearer {who.access}"),),
            )
            for round_ in range(1, run.o.rounds + 1):
                run.measure(server, what, None, round_)
        finally:
            server.stop()


if __name__ == "__main__":
    main()
