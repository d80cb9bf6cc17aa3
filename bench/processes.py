"""Server processes for a run, and what their own /proc accounting says about them.

Starting and stopping them is `testsupport.processes`, shared with the tests.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from testsupport import processes

TICKS = os.sysconf("SC_CLK_TCK")
ROOT = Path(__file__).resolve().parent.parent
free_port = processes.free_port
DRF_THREADS = 8  # per gunicorn worker (bench/README.md says why)


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def tree(pid: int) -> list[int]:
    """A process and all its descendants."""
    pids, queue = [], [pid]
    while queue:
        current = queue.pop()
        pids.append(current)
        queue.extend(_children(current))
    return pids


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU the processes have used so far."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    return total / TICKS


def cpu_by_pid(pids: list[int]) -> dict[int, float]:
    """Each process's user + system CPU so far, in seconds (gone processes left out)."""
    found = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        found[pid] = (int(fields[11]) + int(fields[12])) / TICKS
    return found


def named(comm: str) -> list[int]:
    """Every process whose name (`/proc/<pid>/comm`) is `comm`, e.g. postgres, redis-server."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == comm:
                    pids.append(int(entry.name))
            except OSError:
                continue
    return pids


def peak_rss_mb(pid: int) -> float:
    """The process's peak resident set (VmHWM), in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


@dataclass
class Served:
    """A running HTTP server (ours or the baseline)."""

    name: str
    process: subprocess.Popen[bytes]
    base_url: str

    def pids(self) -> list[int]:
        return tree(self.process.pid)

    def workers(self) -> list[int]:
        """The processes that serve requests: uvicorn's spawned workers, gunicorn's forked
        ones, or the server itself."""
        spawned = [p for p in self.pids() if "spawn_main" in _cmdline(p)]
        return spawned or _children(self.process.pid) or [self.process.pid]

    def stop(self) -> None:
        processes.stop(self.process, grace=20)


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def start(
    name: str, args: list[str], env: dict[str, str], port: int, log: Path, ready: str
) -> Served:
    """Start a server and wait until `ready` answers."""
    started = processes.start(args, env=env, port=port, log=log, ready=ready, cwd=ROOT, name=name)
    return Served(name, started.process, started.url)


def jpay_server(env: dict[str, str], port: int, workers: int, log: Path) -> Served:
    """`jpay-server serve`, exactly as a user runs it."""
    args = processes.jpay_server_command(port, workers)
    return start("jpay-server", args, env, port, log, "/readyz")


def reference(
    env: dict[str, str], port: int, workers: int, log: Path, *, access_log: bool = False
) -> Served:
    """The bare Starlette app under the same uvicorn settings as `jpay-server serve`, with
    no access log (the least Python can do) unless `access_log`: uvicorn's plain-text one."""
    args = [
        sys.executable,
        "-m",
        "uvicorn",
        "bench.baseline:app",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--loop",
        "uvloop",
        "--http",
        "httptools",
        "--no-server-header",
        "--no-proxy-headers",
        "--timeout-graceful-shutdown",
        "10",
        "--access-log" if access_log else "--no-access-log",
    ]
    return start("reference", args, env, port, log, "/get")


def drf(env: dict[str, str], port: int, workers: int, log: Path) -> Served:
    """The DRF peer as a Django user deploys it: gunicorn, gthread workers (bench/README.md)."""
    args = [
        sys.executable,
        "-m",
        "gunicorn",
        "bench.peers.drf.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--worker-class",
        "gthread",
        "--threads",
        str(DRF_THREADS),
        "--graceful-timeout",
        "10",
    ]
    return start("drf", args, env, port, log, "/api/v1/payments/collections/checkouts")
