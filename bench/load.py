"""Drive a server with wrk and read what it measured."""

from __future__ import annotations

import json
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench.processes import Served, cpu_by_pid, cpu_seconds, named

LUA = Path(__file__).resolve().parent / "lua"


@dataclass(frozen=True)
class Load:
    """One load to apply: a URL, headers, and a wrk script with its arguments."""

    name: str
    path: str
    headers: tuple[tuple[str, str], ...] = ()
    script: str | None = None
    args: tuple[str, ...] = ()
    expect_status: int = 200
    min_seconds: float = 0  # a longer window for a load too slow to complete requests in one
    connections: int | None = None  # fewer connections than the run's, for such a load


def _script(load: Load) -> str:
    """The load's script with the reporting snippet appended, as a temporary file."""
    body = (LUA / load.script).read_text() if load.script else ""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(body + "\n" + (LUA / "report.lua").read_text())
    return handle.name


def run(
    load: Load,
    server: Served,
    seconds: float,
    connections: int,
    threads: int,
    services: tuple[str, ...] = (),
) -> dict[str, float]:
    """Apply the load for `seconds`; requests/s, latency, errors and server CPU per request.

    `services` are process names (`postgres`, `redis-server`) whose CPU over the window is
    reported too, in cores (CPU seconds over wall seconds).
    """
    seconds = max(seconds, load.min_seconds)
    connections = load.connections or connections
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{round(seconds)}s"]
    command += ["--timeout", "10s"]
    for name, value in load.headers:
        command += ["-H", f"{name}: {value}"]
    command += ["-s", _script(load), server.base_url + load.path]
    if load.args:
        command += ["--", *load.args]
    pids = server.pids()
    cpu_before = cpu_seconds(pids)
    service_before = {name: cpu_by_pid(named(name)) for name in services}
    started = time.monotonic()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    wall = time.monotonic() - started
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed: {done.stderr or done.stdout}")
    cpu = cpu_seconds(pids) - cpu_before
    cores = {}
    for name, before in service_before.items():
        after = cpu_by_pid(named(name))
        # A process that started in the window counts whole; one that ended is lost (rare).
        used = sum(value - before.get(pid, 0.0) for pid, value in after.items())
        cores[f"{name}_cores"] = used / wall
    settle(pids)
    line = next(out for out in done.stdout.splitlines() if out.startswith("BENCH_JSON "))
    raw = json.loads(line.removeprefix("BENCH_JSON "))
    requests = raw["requests"]
    socket_errors = (
        raw["connect_errors"] + raw["read_errors"] + raw["write_errors"] + raw["timeouts"]
    )
    # wrk counts every non-2xx/3xx as a status error; for the 401/403 loads those are the point.
    unexpected = (
        raw["status_errors"] if load.expect_status < 400 else requests - raw["status_errors"]
    )
    return {
        "requests_per_s": requests / (raw["duration_us"] / 1e6),
        "p50_ms": raw["p50_us"] / 1000,
        "p99_ms": raw["p99_us"] / 1000,
        "errors": socket_errors + unexpected,
        "requests": requests,
        "cpu_ms_per_request": 1000 * cpu / max(requests, 1),
        **cores,
    }


def settle(pids: list[int], limit: float = 60.0) -> None:
    """Wait until the server is idle again: requests wrk left queued must not bill the next
    measurement (a peer hashing with a million PBKDF2 iterations drains for seconds)."""
    deadline = time.monotonic() + limit
    last = cpu_seconds(pids)
    while time.monotonic() < deadline:
        time.sleep(0.25)
        now = cpu_seconds(pids)
        if now - last < 0.025:  # under a tenth of a core over the quarter second
            return
        last = now
