"""The outermost middleware: a request id and the headers every response carries, 500s included."""

from __future__ import annotations

import logging
import re
import secrets

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from jpay_server.api.errors import internal_error_response

log = logging.getLogger(__name__)
_REQUEST_ID = re.compile(rb"^[A-Za-z0-9._-]{1,64}$")
_EXTRA_HEADERS = [
    (b"cache-control", b"no-store"),  # responses hold tokens and payment data
    (b"x-content-type-options", b"nosniff"),
]


def request_id_of(scope: Scope) -> bytes:
    """The client's X-Request-ID if it is safe to echo and log, else a new random one."""
    for name, value in scope["headers"]:
        if name == b"x-request-id" and _REQUEST_ID.match(value):
            return bytes(value)
    return secrets.token_hex(8).encode()


class RequestContext:
    """Tags every response with `X-Request-ID`, `Cache-Control: no-store` and `nosniff`.

    It also turns an unexpected exception into the 500 answer itself: Starlette's own error
    handler sits outside every middleware, so its 500 would carry none of these headers. The
    failure is logged once, here, with the same request id the client sees.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = request_id_of(scope)
        scope.setdefault("state", {})["request_id"] = request_id.decode()
        headers = [(b"x-request-id", request_id), *_EXTRA_HEADERS]
        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                message["headers"] = [*message.get("headers", ()), *headers]
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
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
