"""A request body must be JSON (415 otherwise): the API reads nothing else."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from jpay_server.api.middleware.body_limit import BODY_METHODS, content_length
from jpay_server.api.middleware.reject import reject
from jpay_server.errors import UnsupportedMediaType


def is_json(content_type: bytes) -> bool:
    """`application/json` or any `application/*+json` (RFC 6839 §3.1), parameters ignored."""
    media = content_type.split(b";", 1)[0].strip().lower()
    return media == b"application/json" or (
        media.startswith(b"application/") and media.endswith(b"+json")
    )


def _content_type(scope: Scope) -> bytes:
    for name, value in scope["headers"]:
        if name == b"content-type":
            return bytes(value)
    return b""


class JsonBodies:
    """415 for a non-empty POST, PUT or PATCH body whose Content-Type is not JSON."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] not in BODY_METHODS
            or is_json(_content_type(scope))
        ):
            await self.app(scope, receive, send)
            return
        length = content_length(scope)
        if length is None:  # chunked: look at the body itself
            first, receive = await _peek(receive)
            empty = not first.get("body")
        else:
            empty = length.strip(b"0") == b""
        if empty:
            await self.app(scope, receive, send)
        else:
            await reject(UnsupportedMediaType(), scope, receive, send)


async def _peek(receive: Receive) -> tuple[Message, Receive]:
    """The first body message, and a receive that returns it again before the rest.

    Behind BodyLimit a chunked body arrives whole, so the first message is the body.
    """
    first = await receive()
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return first
        return await receive()

    return first, replay
