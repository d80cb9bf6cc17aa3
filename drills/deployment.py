"""The deployment drills.sh built, seen from the client host: addresses, failures, the CLI, SQL."""

from __future__ import annotations

import asyncio
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "drills" / "drills.sh"
RUN = Path(os.environ.get("JPAY_DRILLS_DIR", "/tmp/jpay-drills"))
NET = "10.77.0"
LB = f"http://{NET}.2"  # X-Forwarded-For: ip
LB_PORT_FORM = f"http://{NET}.2:81"  # X-Forwarded-For: ip:port
API_HOSTS = {"api1": f"http://{NET}.11:8000", "api2": f"http://{NET}.12:8000"}
HOOKS = f"http://{NET}.41:9000"
CLIENT2 = f"{NET}.102"
DATABASE = f"postgresql://jpay@{NET}.31:5432/jpay"
API = "/api/v1"


class ActionFailed(RuntimeError):
    """A drills.sh subcommand exited non-zero."""


async def sh(*args: str, timeout: float = 60) -> str:
    """Run `drills.sh ARGS` (a failure, or the operator's CLI) and return its stdout."""
    process = await asyncio.create_subprocess_exec(
        str(SCRIPT),
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "JPAY_DRILLS_DIR": str(RUN)},
    )
    try:
        out, err = await asyncio.wait_for(process.communicate(), timeout)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise ActionFailed(f"drills.sh {' '.join(args)}: no answer in {timeout:g} s") from None
    if process.returncode != 0:
        raise ActionFailed(f"drills.sh {' '.join(args)}: {err.decode().strip()}")
    return out.decode()


async def cli(*args: str) -> dict[str, Any]:
    """`jpay-server ARGS --json` on the worker host, as an operator runs it."""
    result: dict[str, Any] = json.loads(await sh("jpay", "worker", *args, "--json"))
    return result


async def in_namespace(host: str, *argv: str, timeout: float = 60) -> str:
    """Run a command on another host (`ip netns exec`), e.g. a probe from a second client."""
    process = await asyncio.create_subprocess_exec(
        "ip",
        "netns",
        "exec",
        f"jpd-{host}",
        *argv,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        cwd=ROOT,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout)
    if process.returncode != 0:
        raise ActionFailed(f"{host}: {' '.join(argv)}: {err.decode().strip()[-2000:]}")
    return out.decode()


async def sql(query: str, *args: object) -> list[asyncpg.Record]:
    """One query on the deployment's PostgreSQL (for the invariants, after the load)."""
    conn = await asyncpg.connect(DATABASE, timeout=10)
    try:
        rows: list[asyncpg.Record] = await conn.fetch(query, *args, timeout=30)
        return rows
    finally:
        await conn.close()


async def lb_servers() -> dict[str, str]:
    """HAProxy's view of each API host: UP, DOWN, or a transition such as 'UP 1/2'."""
    reader, writer = await asyncio.open_unix_connection(str(RUN / "haproxy.sock"))
    writer.write(b"show stat\n")
    await writer.drain()
    data = await asyncio.wait_for(reader.read(), 5)
    writer.close()
    states: dict[str, str] = {}
    lines = data.decode().splitlines()
    header = lines[0].lstrip("# ").split(",")
    for line in lines[1:]:
        row = dict(zip(header, line.split(","), strict=False))
        if row.get("pxname") == "api" and row.get("svname") in API_HOSTS:
            states[row["svname"]] = row["status"]
    return states


def pid_of(name: str) -> int:
    """The pid drills.sh recorded for a process it started (api1, api2, worker, ...)."""
    return int((RUN / f"{name}.pid").read_text())


def children(pid: int) -> list[int]:
    """A process's child pids (uvicorn's worker processes under its supervisor)."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        text = (task / "children").read_text() if (task / "children").exists() else ""
        found.extend(int(p) for p in text.split())
    return found


def uvicorn_workers(host: str) -> list[int]:
    """The API processes of a host: children of its supervisor that serve requests."""
    workers = []
    for child in children(pid_of(host)):
        try:
            cmdline = Path(f"/proc/{child}/cmdline").read_bytes()
        except FileNotFoundError:
            continue
        if b"resource_tracker" not in cmdline:
            workers.append(child)
    return workers


@dataclass
class Stopwatch:
    """Seconds since a drill's failure began."""

    started: float

    @classmethod
    def start(cls) -> Stopwatch:
        return cls(time.monotonic())

    def __call__(self) -> float:
        return time.monotonic() - self.started
