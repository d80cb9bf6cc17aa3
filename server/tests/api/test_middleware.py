"""The middlewares in front of every route: request ids on every answer, and which refusal wins."""

from __future__ import annotations

import logging

import httpx
import pytest
from starlette.requests import Request
from starlette.responses import Response

from tests.harness import API

pytestmark = pytest.mark.anyio


async def test_a_500_carries_the_request_id_and_its_log_line_the_same_id(harness, caplog):
    async def boom(_request: Request) -> Response:
        raise RuntimeError("a bug")

    harness.app.add_route("/boom", boom)
    with caplog.at_level(logging.ERROR):
        response = await harness.client.get("/boom", headers={"X-Request-ID": "trace-500"})
    assert response.status_code == 500
    assert response.json() == {"detail": "Internal server error", "code": "internal_error"}
    assert response.headers["x-request-id"] == "trace-500"
    assert response.headers["cache-control"] == "no-store"
    failures = [r for r in caplog.records if r.exc_info]
    assert len(failures) == 1
    assert "trace-500" in failures[0].getMessage()
    assert failures[0].request_id == "trace-500"  # a field of its JSON log line


async def test_a_500_without_a_client_id_gets_a_generated_one_that_is_logged(harness, caplog):
    async def boom(_request: Request) -> Response:
        raise RuntimeError("a bug")

    harness.app.add_route("/boom", boom)
    with caplog.at_level(logging.ERROR):
        response = await harness.client.get("/boom")
    request_id = response.headers["x-request-id"]
    assert len(request_id) == 16
    assert [r.request_id for r in caplog.records if r.exc_info] == [request_id]


async def raw(harness, method: str, path: str, headers: list[tuple[bytes, bytes]], body: bytes):
    """Call the app with exactly these headers (httpx would fix a bad Content-Length)."""
    messages = [{"type": "http.request", "body": body, "more_body": False}]
    sent: list[dict] = []

    async def receive():
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)

    path_part, _, query = path.partition("?")
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": httpx.URL(path_part).path,
        "raw_path": path_part.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [(b"host", b"testserver"), *headers],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
        "state": {},
    }
    await harness.app(scope, receive, send)
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], dict(start["headers"]), body


async def test_a_malformed_content_length_is_a_400_not_too_large(harness):
    json_type = (b"content-type", b"application/json")
    status, headers, body = await raw(
        harness, "POST", f"{API}/auth/refresh", [json_type, (b"content-length", b"12x")], b"{}"
    )
    assert status == 400
    assert b"invalid_content_length" in body
    assert b"x-request-id" in headers


async def test_a_413_is_not_overwritten_by_a_nul_in_the_query(harness):
    too_big = str(harness.settings.max_body_bytes + 1).encode()
    status, _, _ = await raw(
        harness,
        "POST",
        f"{API}/auth/refresh?x=%00",
        [(b"content-type", b"text/plain"), (b"content-length", too_big)],
        b"",
    )
    assert status == 413


async def test_a_nul_is_refused_before_the_media_type_is_judged(harness):
    status, _, body = await raw(
        harness,
        "POST",
        f"{API}/auth/refresh?x=%00",
        [(b"content-type", b"text/plain"), (b"content-length", b"2")],
        b"{}",
    )
    assert (status, b"invalid_request" in body) == (400, True)


async def test_a_chunked_body_is_held_to_the_limit_and_to_json(harness):
    limit = harness.settings.max_body_bytes
    plain = [(b"content-type", b"text/plain")]
    status, _, _ = await raw(harness, "POST", f"{API}/auth/refresh", plain, b"x" * (limit + 1))
    assert status == 413
    status, _, _ = await raw(harness, "POST", f"{API}/auth/refresh", plain, b"{}")
    assert status == 415
    json_type = [(b"content-type", b"application/json")]
    status, _, body = await raw(harness, "POST", f"{API}/auth/refresh", json_type, b"{}")
    assert (status, b"field_required" in body) == (400, True)
