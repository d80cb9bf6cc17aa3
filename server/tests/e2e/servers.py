"""Real `jpay-server` processes on loopback, for end-to-end tests over HTTP.

Starting and stopping them is `testsupport.processes`, shared with the SDK's tests and the
benchmarks; this module adds the test deployment's settings and the CLI.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.conftest import SECRET_KEY
from testsupport import processes
from testsupport.processes import free_port


def server_env(database_url: str, var_dir: Path, **extra: str) -> dict[str, str]:
    """The environment a server or CLI process of one test deployment runs with."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("JPAY_")}
    env.update(
        JPAY_DATABASE_URL=database_url,
        JPAY_SECRET_KEY=SECRET_KEY,
        JPAY_VAR_DIR=str(var_dir),
        JPAY_RATE_LIMIT_ENABLED="false",
        JPAY_LOG_FORMAT="json",
        JPAY_SANDBOX_STEP_DELAY="0.2",
        JPAY_WORKER_POLL_INTERVAL="0.1",
        JPAY_WEBHOOK_RETRY_SCHEDULE="0,0.5,1,2,4",
        JPAY_WEBHOOK_TIMEOUT="2",
    )
    env.update(extra)
    return env


def cli(env: Mapping[str, str], *args: str) -> dict[str, Any]:
    """Run `jpay-server ARGS --json` and return its JSON output."""
    done = subprocess.run(
        [sys.executable, "-m", "jpay_server", *args, "--json"],
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result


@dataclass
class Server:
    """One running server process and where its output goes."""

    process: subprocess.Popen[bytes]
    base_url: str
    log: Path

    def logs(self) -> str:
        return self.log.read_text(errors="replace")


@contextmanager
def worker(env: Mapping[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """Start `jpay-server worker`; stop (or kill) it afterwards."""
    with log.open("ab") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "jpay_server", "worker"],
            env=dict(env),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        yield process
    finally:
        processes.stop(process)


@contextmanager
def serve(env: Mapping[str, str], log: Path, workers: int = 1) -> Iterator[Server]:
    """Start `jpay-server serve` and wait until /readyz answers; stop it afterwards."""
    port = free_port()
    command = processes.jpay_server_command(port, workers)
    started = processes.start(command, env=env, port=port, log=log, timeout=30, fresh_log=True)
    try:
        yield Server(started.process, started.url, log)
    finally:
        started.stop()
