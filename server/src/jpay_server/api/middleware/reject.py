"""Answer a request with one of our errors, from a middleware, before any route runs."""

from __future__ import annotations

from starlette.types import Receive, Scope, Send

from jpay_server.api.errors import error_response
from jpay_server.errors import JPayError


async def reject(problem: JPayError, scope: Scope, receive: Receive, send: Send) -> None:
    """Send the error response for `problem` (mapped to HTTP in api/errors.py)."""
    await error_response(problem)(scope, receive, send)
