"""`python -m bench --profile`: where jpay-server's workers spend their time, per endpoint.

py-spy samples both server workers while wrk drives one endpoint; every sample is put in one
of the categories bench/README.md uses, by the innermost frame that belongs to a known owner
(the standard library but logging, pydantic and other helpers count for whoever called them).
"""

from __future__ import annotations

import json
import linecache
import shutil
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench import load, processes, seed
from bench.load import Load

if TYPE_CHECKING:
    from bench.__main__ import Run

RESULTS = Path(__file__).resolve().parent / "results"
RATE = 200  # samples per second per worker
CATEGORIES = (
    "framework (FastAPI/Starlette: routing, dependencies, request, middleware)",
    "database driver + SQLAlchemy (and Redis)",
    "our code (services, domain, store, wire dicts)",
    "uvicorn: writing the response",
    "access log (formatting + redaction)",
    "PyJWT (sign, verify)",
    "uvicorn parsing, event loop",
    "other",
)
(FRAMEWORK, DATABASE, OURS, WRITE, ACCESS_LOG, PYJWT, LOOP, OTHER) = CATEGORIES
# Path fragments of each owner, checked from the innermost frame outwards.
OWNERS: tuple[tuple[str, str], ...] = (
    ("/logging/", ACCESS_LOG),  # the standard library's: on these paths, only the access log
    ("/uvicorn/logging.py", ACCESS_LOG),
    ("/jpay_server/logs.py", ACCESS_LOG),
    ("/jpay_server/access_log.py", ACCESS_LOG),  # its middleware's own work, not what it wraps
    ("/jwt/", PYJWT),
    ("/sqlalchemy/", DATABASE),
    ("/aiosqlite/", DATABASE),
    ("/sqlite3/", DATABASE),
    ("/asyncpg/", DATABASE),
    ("/redis/", DATABASE),
    # Its frame is the caller of sqlite3's C functions, which py-spy does not see: SQLite's own
    # time on the list reads lands here (store/driver_reads.py).
    ("/jpay_server/store/driver_reads.py", DATABASE),
    ("/fastapi/", FRAMEWORK),
    ("/starlette/", FRAMEWORK),
    ("/jpay_server/", OURS),
    ("/uvicorn/", LOOP),
    ("/uvloop/", LOOP),
    ("/httptools/", LOOP),
    ("/asyncio/", LOOP),
)
# A thread whose innermost Python line is one of these is waiting, not working (py-spy's own
# idle detection misses blocking reads and queue gets): uvicorn's ping thread, aiosqlite's
# worker thread between statements, a thread pool's idle workers.
WAITING = (
    "tx.get()",
    "work_queue.get(",
    "read(handle,",
    "_recv(",
    ".acquire(",
    ".select(",
    "time.sleep(",
    ".wait(",
)


def _path(frame: str) -> str:
    """`function (path:line)` -> path."""
    inside = frame.rsplit("(", 1)[-1]
    return inside.rsplit(":", 1)[0]


def _waiting(frame: str) -> bool:
    """Whether the innermost frame's source line is a blocking wait."""
    path, _, line = frame.rsplit("(", 1)[-1].rstrip(")").rpartition(":")
    if not line.isdigit():
        return False
    source = linecache.getline(path, int(line))
    return any(marker in source for marker in WAITING)


def classify(frames: list[str]) -> str | None:
    """The category of one sample, its frames outermost first (None: a waiting thread)."""
    if not frames or _waiting(frames[-1]):
        return None
    paths = [_path(frame) for frame in frames]
    for frame, path in zip(reversed(frames), reversed(paths), strict=True):
        for fragment, category in OWNERS:
            if fragment in path:
                if category == LOOP and "/uvicorn/protocols/http/" in path:
                    # The response's `send` (headers, body, transport.write) is the write.
                    function = frame.split(" (", 1)[0].rsplit(".", 1)[-1]
                    return WRITE if function == "send" else LOOP
                return category
    return OTHER


def categories(raw: str) -> Counter[str]:
    """Samples per category in py-spy's raw (collapsed stack) output."""
    counts: Counter[str] = Counter()
    for line in raw.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        # The first entries are the process and the thread, not frames.
        frames = [f for f in stack.split(";") if f.endswith(")") and ":" in f]
        category = classify(frames)
        if category:
            counts[category] += int(count)
    return counts


def _py_spy() -> list[str]:
    local = Path(sys.executable).parent / "py-spy"
    if local.exists():
        return [str(local)]
    if shutil.which("py-spy"):
        return ["py-spy"]
    return ["uv", "tool", "run", "py-spy"]


def record(server: processes.Served, what: Load, run: Run, out: Path) -> tuple[Counter[str], float]:
    """Profile every worker while wrk applies the load: samples per category, requests/s."""
    spies = []
    for pid in server.workers():
        target = out / f"{pid}.txt"
        command = [*_py_spy(), "record", "-p", str(pid), "-r", str(RATE), "-f", "raw"]
        command += ["--full-filenames", "-d", str(run.o.seconds + 1), "-o", str(target)]
        spies.append((subprocess.Popen(command, stdout=subprocess.DEVNULL), target))
    time.sleep(0.5)  # let py-spy attach before the load starts
    result = load.run(what, server, run.o.seconds, run.o.connections, run.o.threads)
    counts: Counter[str] = Counter()
    for spy, target in spies:
        spy.wait(timeout=60)
        if target.exists():
            counts += categories(target.read_text())
    print(
        f"  {what.name:28} {result['requests_per_s']:8.0f} requests/s under py-spy, "
        f"{sum(counts.values())} samples",
        flush=True,
    )
    return counts, result["requests_per_s"]


def render(profiles: dict[str, Counter[str]]) -> str:
    """A markdown table: category by endpoint, as shares of each endpoint's samples."""
    names = list(profiles)
    lines = [
        "| category | " + " | ".join(names) + " |",
        "|---|" + "---|" * len(names),
    ]
    for category in CATEGORIES:
        if not any(profile[category] for profile in profiles.values()):
            continue
        shares = []
        for name in names:
            total = sum(profiles[name].values()) or 1
            shares.append(f"{100 * profiles[name][category] / total:.0f} %")
        lines.append(f"| {category} | " + " | ".join(shares) + " |")
    lines.append("| samples | " + " | ".join(str(sum(p.values())) for p in profiles.values()))
    lines[-1] += " |"
    return "\n".join(lines)


def main(run: Run, prepare: Callable[[Run, str], dict[str, Any]]) -> None:
    """Start jpay-server, profile each endpoint, print the table, keep the raw stacks."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    keep = RESULTS / f"{stamp}-{run.o.db}-profile"
    server = processes.jpay_server(
        run.env, processes.free_port(), run.o.workers, run.root / "server.log"
    )
    try:
        loads = prepare(run, server.base_url)
        profiles: dict[str, Counter[str]] = {}
        plan = [("GET empty", "empty"), ("GET 50 rows", "full"), ("token", "token")]
        issued = 0.0
        for label, key in plan:
            (keep / label.replace(" ", "-")).mkdir(parents=True, exist_ok=True)
            profiles[label], issued = record(
                server, loads[key], run, keep / label.replace(" ", "-")
            )
        # Refresh is no faster than issuance: size the pool of fresh tokens from it.
        pool = seed.refresh_pool(
            server.base_url,
            loads["who"],
            int(max(2000, issued * run.o.seconds * 1.5)),
            run.root / "refresh-profile.txt",
        )
        refresh = Load(
            "POST /auth/refresh",
            "/api/v1/auth/refresh",
            script="refresh.lua",
            args=(str(pool), str(run.o.threads)),
        )
        (keep / "refresh").mkdir(parents=True, exist_ok=True)
        profiles["refresh"], _ = record(server, refresh, run, keep / "refresh")
    finally:
        server.stop()
    summary = keep / "categories.json"
    summary.write_text(json.dumps({k: dict(v) for k, v in profiles.items()}, indent=1))
    print(
        f"\nShare of both workers' samples (py-spy at {RATE}/s, {run.o.seconds} s per endpoint,"
        f" db={run.o.db}):\n"
    )
    print(render(profiles))
    print(f"\nraw stacks and counts: {keep}")
