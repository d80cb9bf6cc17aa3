"""The access log: one line per HTTP request, API and dashboard alike, once it is answered."""

from __future__ import annotations

import logging
from time import perf_counter

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from jpay_server.logs import ACCESS_LOGGER, access_record

log = logging.getLogger(ACCESS_LOGGER)


def _client(scope: Scope) -> str:
    client = scope.get("client")
    return f"{client[0]}:{client[1]}" if client else "-"


def _target(scope: Scope) -> str:
    raw = scope.get("raw_path")
    path = raw.decode("latin-1") if raw is not None else scope["path"]
    query: bytes = scope["query_string"]
    return f"{path}?{query.decode('latin-1')}" if query else path


class AccessLog:
    """Writes the request's access-log line when its answer ends (500 if none was started).

    The request id is the one the API's RequestContext put in the scope's state.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not log.isEnabledFor(logging.INFO):
            await self.app(scope, receive, send)
            return
        began = perf_counter()
        status = 500  # what the server answers if the app raises before starting a response

        async def send_noting_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_noting_status)
        finally:
            state = scope.get("state")
            record = access_record(
                _client(scope),
                scope["method"],
                _target(scope),
                scope["http_version"],
                status,
                perf_counter() - began,
                None if state is None else state.get("request_id"),
            )
            log.handle(record)
