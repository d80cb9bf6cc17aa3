"""A pure ASGI guard in front of every route: request ids, body limits, media type, headers."""

from __future__ import annotations

import json
import re
import secrets

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from jpay_server.api.errors import error_body, error_headers, status_of
from jpay_server.errors import InvalidRequest, JPayError, RequestTooLarge, UnsupportedMediaType

_REQUEST_ID = re.compile(rb"^[A-Za-z0-9._-]{1,64}$")
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
_EXTRA_HEADERS = [
    (b"cache-control", b"no-store"),
    (b"x-content-type-options", b"nosniff"),
]


def _is_json(content_type: bytes) -> bool:
    media = content_type.split(b";", 1)[0].strip().lower()
    return media == b"application/json" or (
        media.startswith(b"application/") and media.endswith(b"+json")
    )


class RequestGuard:
    """Refuses oversized (413) and non-JSON (415) bodies; tags responses with a request id.

    Bodies are checked before any route runs, so no handler ever parses more than
    `max_body_bytes`. Every response carries `X-Request-ID`, `Cache-Control: no-store`
    (responses hold tokens and payment data) and `X-Content-Type-Options: nosniff`.
    """

    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id, content_type, length = _scan(scope["headers"])
        scope.setdefault("state", {})["request_id"] = request_id.decode()
        headers = [(b"x-request-id", request_id), *_EXTRA_HEADERS]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), *headers]
            await send(message)

        problem = self._check(scope["method"], content_type, length)
        if "\x00" in scope["path"] or b"%00" in scope["query_string"]:
            problem = InvalidRequest("The request holds a NUL character", code="invalid_request")
        if problem is None and length is None and scope["method"] in _BODY_METHODS:
            receive, size, problem = await self._buffer(receive)
            if problem is None and size and not _is_json(content_type):
                problem = UnsupportedMediaType()
        if problem is not None:
            await _reject(problem, send_with_headers)
            return
        await self.app(scope, receive, send_with_headers)

    def _check(self, method: str, content_type: bytes, length: bytes | None) -> JPayError | None:
        if length is not None:
            if not length.isdigit():
                return RequestTooLarge("Invalid Content-Length")
            if int(length) > self.max_body_bytes:
                return RequestTooLarge(
                    f"Request body too large (at most {self.max_body_bytes} bytes)"
                )
        has_body = length is not None and length != b"0"
        if method in _BODY_METHODS and has_body and not _is_json(content_type):
            return UnsupportedMediaType()
        return None

    async def _buffer(self, receive: Receive) -> tuple[Receive, int, JPayError | None]:
        """Read a body sent without Content-Length (chunked), up to the limit."""
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            size += len(message.get("body", b""))
            if size > self.max_body_bytes:
                too_large = f"Request body too large (at most {self.max_body_bytes} bytes)"
                return receive, size, RequestTooLarge(too_large)
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        return replay, size, None


def _scan(headers: list[tuple[bytes, bytes]]) -> tuple[bytes, bytes, bytes | None]:
    """The request id (a safe client-sent one, or a new one), Content-Type, Content-Length."""
    request_id, content_type, length = b"", b"", None
    for name, value in headers:
        if name == b"x-request-id" and _REQUEST_ID.match(value):
            request_id = value
        elif name == b"content-type":
            content_type = value
        elif name == b"content-length":
            length = value
    return request_id or secrets.token_hex(8).encode(), content_type, length


async def _reject(problem: JPayError, send: Send) -> None:
    body = json.dumps(error_body(problem)).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    headers += [(k.lower().encode(), v.encode()) for k, v in error_headers(problem).items()]
    await send({"type": "http.response.start", "status": status_of(problem), "headers": headers})
    await send({"type": "http.response.body", "body": body})
