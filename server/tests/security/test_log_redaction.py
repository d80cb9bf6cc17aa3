"""Run the documented flow against a real server and find no token or secret in its logs."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import httpx
import pytest

from tests.e2e.servers import serve, server_env

pytestmark = pytest.mark.e2e
API = "/api/v1"
SHAPES = re.compile(r"eyJ[A-Za-z0-9_-]{10,}|jpay_sk_[A-Za-z0-9_-]{10,}")


def test_no_token_or_secret_in_any_log_line(tmp_path, sqlite_factory):
    env = server_env(sqlite_factory.new(), tmp_path / "var", JPAY_LOG_LEVEL="DEBUG")
    run = lambda *args: subprocess.run(  # noqa: E731
        [sys.executable, "-m", "jpay_server", *args, "--json"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    merchant = json.loads(run("merchants", "create", "--name", "Logs", "--approved").stdout)
    created = run(
        "apps", "create", "--merchant", str(merchant["merchant_id"]), "--product", "collections"
    )
    app = json.loads(created.stdout)
    rotated = run("apps", "rotate-secret", str(app["app_code"]), "--overlap", "60")
    secrets = [app["app_secret"], json.loads(rotated.stdout)["app_secret"]]
    cli_logs = created.stderr + rotated.stderr

    with serve(env, tmp_path / "server.log") as server:
        base = f"{server.base_url}{API}"
        issued: list[str] = []
        for secret in secrets:
            tokens = httpx.post(
                f"{base}/auth/app/token", json={"app_key": app["app_key"], "app_secret": secret}
            ).json()
            issued += [tokens["access"], tokens["refresh"]]
        access, refresh = issued[0], issued[1]
        auth = {"Authorization": f"Bearer {access}"}
        assert httpx.get(f"{base}/payments/collections/checkouts", headers=auth).status_code == 200
        rotated_pair = httpx.post(f"{base}/auth/refresh", json={"refresh": refresh}).json()
        issued += [rotated_pair["access"], rotated_pair["refresh"]]
        # Mistakes a client makes with secrets, which must not land in logs either.
        httpx.get(f"{base}/payments/collections/checkouts?access_token={access}")
        httpx.get(f"{base}/payments/collections/checkouts", headers={"Authorization": access})
        httpx.post(
            f"{base}/auth/app/token",
            content=f'{{"app_key": "{secrets[0]}"',
            headers={"Content-Type": "application/json"},
        )
        httpx.post(f"{base}/auth/refresh", json={"refresh": access})
        httpx.post(f"{base}/auth/revoke", json={"token": rotated_pair["access"]})
    log = server.logs() + cli_logs
    lines = [line for line in log.splitlines() if line.strip()]
    assert any('"uvicorn.access"' in line for line in lines)  # the run was really logged
    assert any("access_token=[REDACTED]" in line for line in lines)
    for line in lines:
        json.loads(line)  # structured: one JSON object per line
        assert not SHAPES.search(line), line
        for value in issued + secrets:
            assert value not in line
            assert value.split(".")[-1] not in line


def test_emailed_link_tokens_are_redacted_except_in_developments_mailbox_lines():
    import logging

    from jpay_server.logs import RedactingFormatter, redact

    line = "GET /dashboard/reset-password?token=jpay_lt_Q2xhc3NpZmllZA HTTP/1.1"
    assert "jpay_lt_" not in redact(line)
    formatter = RedactingFormatter("%(message)s")
    plain = logging.makeLogRecord({"msg": line})
    mailbox = logging.makeLogRecord({"msg": line, "_dev_mail": True})
    assert "jpay_lt_" not in formatter.format(plain)
    assert "token=jpay_lt_Q2xhc3NpZmllZA" in formatter.format(mailbox)
    # Other secrets stay redacted even in the mailbox line.
    secret = logging.makeLogRecord({"msg": "jpay_sk_abcdef", "_dev_mail": True})
    assert "jpay_sk_" not in formatter.format(secret)
