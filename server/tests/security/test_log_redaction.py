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
        # The same token percent-encoded, and a secret in the path itself.
        encoded = access.replace(".", "%2E")
        httpx.get(f"{base}/payments/collections/checkouts?access_token={encoded}")
        httpx.get(f"{base}/apps/{secrets[0]}")
        httpx.get(f"{server.base_url}/dashboard/login?next={secrets[1]}")
        httpx.get(f"{base}/payments/collections/checkouts", headers={"X-Request-ID": access[:60]})
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
    access_lines = [json.loads(line) for line in lines if '"jpay_server.access"' in line]
    assert access_lines  # the run was really logged, one line per request
    assert not any('"uvicorn.access"' in line for line in lines)  # and only once
    assert sum("access_token=[REDACTED]" in entry["path"] for entry in access_lines) == 2
    assert any(entry["path"] == f"{API}/apps/[REDACTED]" for entry in access_lines)
    assert any(entry["path"] == "/dashboard/login?next=[REDACTED]" for entry in access_lines)
    for entry in access_lines:  # the fields operators rely on
        assert {"request_id", "client", "method", "path", "status", "duration_ms"} <= set(entry)
        assert entry["status"] >= 200
        assert entry["duration_ms"] >= 0
        if entry["path"].startswith(API):  # the API tags every answer with its request id
            assert entry["request_id"]
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


def test_a_request_target_is_redacted_however_it_is_encoded():
    from jpay_server.logs import redact_target

    jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl"
    assert redact_target(f"/x?access_token={jwt}") == "/x?access_token=[REDACTED]"
    hidden = redact_target(f"/x?access_token={jwt.replace('.', '%2E')}&a=%0A")
    assert "eyJ" not in hidden
    assert "c2lnbmF0dXJl" not in hidden
    assert "\n" not in hidden  # decoded for the check, never written decoded
    assert redact_target("/x/jpay_sk_abcdef?q=1") == "/x/[REDACTED]?q=1"
    assert redact_target("/reset?token=jpay_lt_abc") == "/reset?token=[REDACTED]"
    assert redact_target("/plain%20path?q=a%2Fb") == "/plain%20path?q=a%2Fb"


def test_an_access_line_is_the_json_object_of_its_fields():
    from datetime import UTC, datetime

    from jpay_server.logs import JsonFormatter, access_record

    jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl"
    for target, request_id in ((f'/x?t={jwt}&q="é\\', "abc-1"), ("/", None)):
        record = access_record("127.0.0.1:5", "GET", target, "1.1", 200, 0.0004126, request_id)
        line = JsonFormatter().format(record)
        entry = json.loads(line)
        stamp = entry.pop("time")
        assert stamp.endswith("+00:00")
        assert stamp[:19] == datetime.fromtimestamp(int(record.created), UTC).isoformat()[:19]
        assert -1e-6 <= record.created - datetime.fromisoformat(stamp).timestamp() < 0.0011
        assert line == json.dumps({"time": line[10:39], **entry})
        assert entry["request_id"] == request_id
        assert entry["duration_ms"] == 0.413
        assert jwt[:20] not in line
