"""Start a server process on loopback, wait until it answers, stop it: the one way we do it.

The server's end-to-end tests, the SDK's tests over HTTP and the benchmarks all start real
`jpay-server serve` processes (the benchmarks also a bare uvicorn app). This module imports
neither `jpay_server` nor `jpay`: it runs commands, so the SDK's tests may use it without the
SDK importing server code, and it lives outside both packages because neither ships it.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx


def free_port() -> int:
    """A TCP port nobody listens on right now, on loopback."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def jpay_server_command(port: int, workers: int = 1) -> list[str]:
    """`jpay-server serve` on loopback, exactly as a user runs it."""
    serve = ["serve", "--port", str(port), "--workers", str(workers)]
    return [sys.executable, "-m", "jpay_server", *serve]


def stop(process: subprocess.Popen[bytes], grace: float = 15.0) -> None:
    """Terminate a process, and kill it if it lingers past `grace` seconds."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@dataclass
class Started:
    """A server process that answered on `url`, and the file its output goes to."""

    process: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def url(self) -> str:
        """http://127.0.0.1:PORT (no path)."""
        return f"http://127.0.0.1:{self.port}"

    def logs(self) -> str:
        """Everything the process printed."""
        return self.log.read_text(errors="replace")

    def stop(self, grace: float = 15.0) -> None:
        """Terminate it (kill it if it lingers)."""
        stop(self.process, grace)


def start(
    command: list[str],
    *,
    env: Mapping[str, str],
    port: int,
    log: Path,
    ready: str = "/readyz",
    timeout: float = 60.0,
    fresh_log: bool = False,
    cwd: Path | None = None,
    name: str = "server",
) -> Started:
    """Run `command` (which listens on `port`) and wait until GET `ready` answers below 500.

    Output goes to `log`, appended (a restarted server keeps one log) unless `fresh_log`.
    Raises RuntimeError with the log if the process exits or is not ready within `timeout`.
    """
    with log.open("wb" if fresh_log else "ab") as out:
        process = subprocess.Popen(
            command, env=dict(env), cwd=cwd, stdout=out, stderr=subprocess.STDOUT
        )
    started = Started(process, port, log)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited early:\n{started.logs()}")
        try:
            if httpx.get(started.url + ready, timeout=1).status_code < 500:
                return started
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    started.stop()
    raise RuntimeError(f"{name} not ready in {timeout:g} s:\n{started.logs()}")
