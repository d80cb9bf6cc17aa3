"""The API's one middleware: a request id and the headers every response carries, 500s
included, and the request guards (body size, NUL, media type) run in one pass."""

from __future__ import annotations

import logging
import re
import secrets

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from jpay_server.api.errors import internal_error_response
from jpay_server.api.middleware.body_limit import BODY_METHODS, buffered, length_problem, too_large
from jpay_server.api.middleware.json_bodies import is_empty, is_json
from jpay_server.api.middleware.nul import has_nul
from jpay_server.api.middleware.reject import reject
from jpay_server.errors import InvalidRequest, UnsupportedMediaType

log = logging.getLogger(__name__)
_REQUEST_ID = re.compile(rb"^[A-Za-z0-9._-]{1,64}$")
_EXTRA_HEADERS = (
    (b"cache-control", b"no-store"),  # responses hold tokens and payment data
    (b"x-content-type-options", b"nosniff"),
)


def _read_headers(scope: Scope) -> tuple[bytes, bytes | None, bytes | None]:
    """The request id (the client's if safe to echo and log, else a new random one), and the
    first Content-Length and Content-Type, in one pass."""
    request_id = length = content_type = None
    for name, value in scope["headers"]:
        if name == b"x-request-id":
            if request_id is None and _REQUEST_ID.match(value):
                request_id = bytes(value)
        elif name == b"content-length":
            if length is None:
                length = bytes(value)
        elif name == b"content-type" and content_type is None:
            content_type = bytes(value)
    return request_id or secrets.token_hex(8).encode(), length, content_type


class RequestContext:
    """Tags every response with `X-Request-ID`, `Cache-Control: no-store` and `nosniff`.

    Then it refuses, in this order, what no route may read: a bad Content-Length (400) or a
    body over `max_body_bytes` (413; a chunked body is read up to the limit and replayed), a
    NUL in the path or query (400), a non-empty POST, PUT or PATCH body that is not JSON
    (415). One class, one pass over the headers: four stacked middlewares cost a quarter of
    the framework's time on a GET (bench/README.md).

    It also turns an unexpected exception into the 500 answer itself: Starlette's own error
    handler sits outside every middleware, so its 500 would carry none of these headers. The
    failure is logged once, here, with the same request id the client sees.
    """

    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id, length, content_type = _read_headers(scope)
        scope.setdefault("state", {})["request_id"] = request_id.decode()
        headers = ((b"x-request-id", request_id), *_EXTRA_HEADERS)
        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                message["headers"] = [*message.get("headers", ()), *headers]
            await send(message)

        try:
            await self._guarded(scope, receive, send_with_headers, length, content_type)
        except Exception:
            log.exception(
                "unhandled error in %s %s (request_id=%s)",
                scope["method"],
                scope["path"],
                request_id.decode(),
                extra={"request_id": request_id.decode()},
            )
            if started:
                raise  # the answer is half sent: the server can only drop the connection
            await internal_error_response()(scope, receive, send_with_headers)

    async def _guarded(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        length: bytes | None,
        content_type: bytes | None,
    ) -> None:
        """The route, unless the body's size, a NUL or the body's media type refuses it."""
        has_body = scope["method"] in BODY_METHODS
        if length is not None:
            problem = length_problem(length, self.max_body_bytes)
            if problem is not None:
                await reject(problem, scope, receive, send)
                return
        elif has_body:
            replay = await buffered(receive, self.max_body_bytes)
            if replay is None:
                await reject(too_large(self.max_body_bytes), scope, receive, send)
                return
            receive = replay
        if has_nul(scope):
            problem = InvalidRequest("The request holds a NUL character", code="invalid_request")
            await reject(problem, scope, receive, send)
            return
        if has_body and not is_json(content_type or b""):
            empty, receive = await is_empty(length, receive)
            if not empty:
                await reject(UnsupportedMediaType(), scope, receive, send)
                return
        await self.app(scope, receive, send)
