"""A request body must be JSON (415 otherwise): the API reads nothing else."""

from __future__ import annotations

from starlette.types import Message, Receive


def is_json(content_type: bytes) -> bool:
    """`application/json` or any `application/*+json` (RFC 6839 §3.1), parameters ignored."""
    media = content_type.split(b";", 1)[0].strip().lower()
    return media == b"application/json" or (
        media.startswith(b"application/") and media.endswith(b"+json")
    )


async def is_empty(length: bytes | None, receive: Receive) -> tuple[bool, Receive]:
    """Whether the body is empty (a non-JSON type is then harmless), and the receive to use.

    With no Content-Length (chunked) the first body message is read and replayed; behind the
    body limit a chunked body arrives whole, so that message is the body.
    """
    if length is not None:
        return length.strip(b"0") == b"", receive
    first = await receive()
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return first
        return await receive()

    return not first.get("body"), replay
