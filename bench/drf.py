"""The Django REST Framework + simplejwt peer in a run: its database, servers and apps.

Two gunicorn servers share one database: one hashes app secrets with Django's default
password hasher, the other with one PBKDF2 iteration (bench/peers/drf/hashers.py). Each keeps
the hasher it was started with: Django rehashes a secret on login whenever its hasher is not
the preferred one, so one server could not measure both.
"""

from __future__ import annotations

import contextlib
import json
import secrets
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from bench import processes
from bench.seed import Tenant

API = "/api/v1"


@dataclass
class Peer:
    """The peer's servers and apps for a run."""

    default: processes.Served  # Django's default hasher
    one_iteration: processes.Served  # PBKDF2 with iterations=1
    empty: Tenant  # no collections; secret under the default hasher
    full: Tenant  # 50 collections; secret under the default hasher
    fast: Tenant  # no collections; secret under the one-iteration hasher

    def stop(self) -> None:
        self.default.stop()
        self.one_iteration.stop()


def environment(base: dict[str, str], root: Path, postgres_admin: str | None) -> dict[str, str]:
    """The peer's settings: its own SQLite file, or its own PostgreSQL database."""
    env = {k: v for k, v in base.items() if not k.startswith("BENCH_DRF_")} | {
        "DJANGO_SETTINGS_MODULE": "bench.peers.drf.settings",
        "BENCH_DRF_SECRET_KEY": secrets.token_urlsafe(48),
    }
    if postgres_admin is None:
        return env | {"BENCH_DRF_SQLITE": str(root / "drf.sqlite3")}
    url = urlsplit(postgres_admin)
    return env | {
        "BENCH_DRF_POSTGRES": f"jpay_bench_drf_{secrets.token_hex(4)}",
        "BENCH_DRF_POSTGRES_HOST": url.hostname or "127.0.0.1",
        "BENCH_DRF_POSTGRES_PORT": str(url.port or 5432),
        "BENCH_DRF_POSTGRES_USER": url.username or "postgres",
    }


def manage(env: dict[str, str], *args: str) -> str:
    """`python -m bench.peers.drf ARGS` (its manage.py)."""
    done = subprocess.run(
        [sys.executable, "-m", "bench.peers.drf", *args],
        env=env,
        cwd=processes.ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"bench.peers.drf {' '.join(args)} failed:\n{done.stderr}")
    return done.stdout


def _tenant(base_url: str, credentials: dict[str, str]) -> Tenant:
    response = httpx.post(f"{base_url}{API}/auth/app/token", json=credentials, timeout=60)
    response.raise_for_status()
    return Tenant(0, credentials["app_key"], credentials["app_secret"], response.json()["access"])


def start(env: dict[str, str], workers: int, root: Path) -> Peer:
    """Migrate, seed, and start both servers."""
    manage(env, "migrate", "--verbosity", "0")
    made = json.loads(manage(env, "bench_seed", "--rows", "50"))
    with contextlib.ExitStack() as stack:
        default = processes.drf(env, processes.free_port(), workers, root / "drf.log")
        stack.callback(default.stop)
        fast = processes.drf(
            env | {"BENCH_DRF_HASHER": "one-iteration"},
            processes.free_port(),
            workers,
            root / "drf-one-iteration.log",
        )
        stack.callback(fast.stop)
        peer = Peer(
            default,
            fast,
            _tenant(default.base_url, made["empty"]),
            _tenant(default.base_url, made["full"]),
            _tenant(fast.base_url, made["one-iteration"]),
        )
        stack.pop_all()
    return peer
