"""What the real HTTP stack does with hostile bytes, and a multi-worker server."""

from __future__ import annotations

import socket
import time
from urllib.parse import urlsplit

import httpx
import pytest

from tests.e2e.conftest import Deployment, database_for
from tests.e2e.servers import cli, serve, server_env
from tests.e2e.test_multiprocess import get_tokens, status, wait_for

pytestmark = pytest.mark.e2e


def raw_request(base_url: str, data: bytes) -> int:
    """Send raw bytes; return the response status (0 if the server just closed)."""
    parts = urlsplit(base_url)
    with socket.create_connection((parts.hostname, parts.port), timeout=5) as sock:
        sock.sendall(data)
        received = b""
        while b"\r\n" not in received:
            chunk = sock.recv(4096)
            if not chunk:
                return 0
            received += chunk
    return int(received.split(b" ", 2)[1])


def request(auth: bytes, extra: bytes = b"") -> bytes:
    return (
        b"GET /api/v1/payments/collections/checkouts HTTP/1.1\r\nHost: localhost\r\n"
        b"Authorization: " + auth + b"\r\n" + extra + b"Connection: close\r\n\r\n"
    )


def test_header_injection_and_malformed_headers_are_refused_cleanly(deployment: Deployment):
    a, _ = deployment.servers
    hostile = [
        request(b"Bearer abc\rX-Injected: 1"),  # bare CR inside a value
        request(b"Bearer abc\nX-Injected: 1"),  # bare LF inside a value
        request(b"Bearer a\x00b"),  # NUL
        request(b"Bearer \xff\xfe\xfd"),  # not ASCII
        request(b"Bearer x", b"X-Big: " + b"a" * 200_000 + b"\r\n"),  # oversized header
        request(b"Bearer " + b"a" * 9000),  # absurdly long token
        b"POST /api/v1/auth/refresh HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
    ]
    for data in hostile:
        code = raw_request(a.base_url, data)
        assert code == 0 or 400 <= code < 500, (data[:80], code)
    assert httpx.get(f"{a.base_url}/healthz").status_code == 200
    assert "Traceback" not in a.logs()


def test_operator_changes_reach_every_worker_of_one_server(request, tmp_path):
    env = server_env(database_for(request, "postgres"), tmp_path / "var")
    with serve(env, tmp_path / "server.log", workers=2) as server:
        app = Deployment(env, (server, server)).new_app()
        access = get_tokens(server.base_url, app)["access"]
        # Fresh connections are spread over both workers by the kernel.
        assert {status(server.base_url, access) for _ in range(20)} == {(200, None)}
        cli(env, "merchants", "suspend", str(app["merchant_id"]))
        committed = time.monotonic()
        wait_for(lambda: status(server.base_url, access) == (403, "account_suspended"))
        time.sleep(max(0.0, 1.0 - (time.monotonic() - committed)))
        assert {status(server.base_url, access) for _ in range(20)} == {(403, "account_suspended")}
