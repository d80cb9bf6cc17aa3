"""Bodies larger than the limit are refused (413) before any route reads them."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from jpay_server.api.middleware.reject import reject
from jpay_server.errors import InvalidRequest, RequestTooLarge

BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


def content_length(scope: Scope) -> bytes | None:
    """The raw Content-Length header, if any."""
    for name, value in scope["headers"]:
        if name == b"content-length":
            return bytes(value)
    return None


class BodyLimit:
    """413 for a body over `max_body_bytes`; 400 for a Content-Length that is not a number.

    A body sent without Content-Length (chunked) is read here up to the limit and replayed,
    so no handler ever parses more than `max_body_bytes`.
    """

    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = content_length(scope)
        if length is not None and not length.isdigit():
            # RFC 9110 §8.6: Content-Length is 1*DIGIT; anything else is a malformed request.
            problem = InvalidRequest("Invalid Content-Length", code="invalid_content_length")
            await reject(problem, scope, receive, send)
        elif length is not None and int(length) > self.max_body_bytes:
            await reject(self._too_large(), scope, receive, send)
        elif length is None and scope["method"] in BODY_METHODS:
            replay = await self._buffer(receive)
            if replay is None:
                await reject(self._too_large(), scope, receive, send)
            else:
                await self.app(scope, replay, send)
        else:
            await self.app(scope, receive, send)

    def _too_large(self) -> RequestTooLarge:
        return RequestTooLarge(f"Request body too large (at most {self.max_body_bytes} bytes)")

    async def _buffer(self, receive: Receive) -> Receive | None:
        """Read a chunked body up to the limit; a receive that replays it, or None if over."""
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                return None
            chunks.append(chunk)
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

        return replay
