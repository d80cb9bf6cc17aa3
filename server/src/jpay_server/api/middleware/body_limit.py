"""Bodies larger than the limit are refused (413) before any route reads them."""

from __future__ import annotations

from starlette.types import Message, Receive

from jpay_server.errors import InvalidRequest, JPayError, RequestTooLarge

BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


def too_large(max_body_bytes: int) -> RequestTooLarge:
    """The 413 for a body over the limit."""
    return RequestTooLarge(f"Request body too large (at most {max_body_bytes} bytes)")


def length_problem(length: bytes, max_body_bytes: int) -> JPayError | None:
    """400 for a Content-Length that is not a number, 413 for one over the limit, else None."""
    if not length.isdigit():
        # RFC 9110 §8.6: Content-Length is 1*DIGIT; anything else is a malformed request.
        return InvalidRequest("Invalid Content-Length", code="invalid_content_length")
    if int(length) > max_body_bytes:
        return too_large(max_body_bytes)
    return None


async def buffered(receive: Receive, max_body_bytes: int) -> Receive | None:
    """Read a chunked body up to the limit; a receive that replays it, or None if over.

    So a body sent without Content-Length is never parsed past `max_body_bytes` either.
    """
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > max_body_bytes:
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
