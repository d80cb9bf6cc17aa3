"""A bounded schemathesis run against a live server: no 500, nothing that contradicts the schema.

Schemathesis's own runner (its CLI) drives the server over HTTP with an app's real access
token, with every check enabled; the run is bounded in examples and time.
"""

from __future__ import annotations

import subprocess
import sys

import httpx
import pytest

from tests.e2e.conftest import Deployment
from tests.e2e.servers import serve, server_env

pytestmark = pytest.mark.e2e
MAX_EXAMPLES = "50"
MAX_SECONDS = "60"


def test_api_matches_its_schema(tmp_path, sqlite_factory):
    env = server_env(sqlite_factory.new(), tmp_path / "var")
    with serve(env, tmp_path / "server.log") as server:
        app = Deployment(env, (server, server)).new_app(products=("collections", "payouts"))
        tokens = httpx.post(
            f"{server.base_url}/api/v1/auth/app/token",
            json={"app_key": app["app_key"], "app_secret": app["app_secret"]},
        ).json()
        run = subprocess.run(
            [
                sys.executable,
                "-m",
                "schemathesis.cli",
                "run",
                f"{server.base_url}/openapi.json",
                "--checks",
                "all",
                # A schema-valid request that breaks a documented business rule (a number no
                # carrier owns, a bank channel for a phone, an empty wallet) gets a documented
                # 400; JSON Schema cannot express those rules, so this one check cannot hold.
                "--exclude-checks",
                "positive_data_acceptance",
                "--max-examples",
                MAX_EXAMPLES,
                "--max-time",
                MAX_SECONDS,
                "--seed",
                "20261128",
                "--header",
                f"Authorization: Bearer {tokens['access']}",
                "--warnings",
                "off",
                "--request-timeout",
                "10",
                "--phases",
                "examples,coverage,fuzzing",
            ],
            capture_output=True,
            text=True,
            timeout=int(MAX_SECONDS) + 120,
            check=False,
        )
        logs = server.logs()
    assert run.returncode == 0, run.stdout[-8000:] + run.stderr[-2000:]
    assert "Traceback" not in logs
    assert '"level": "ERROR"' not in logs
