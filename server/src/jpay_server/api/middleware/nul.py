"""A NUL character in the path or query is refused (400): PostgreSQL text cannot hold one."""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from jpay_server.api.middleware.reject import reject
from jpay_server.errors import InvalidRequest


class RefuseNul:
    """400 `invalid_request` for a NUL in the path or the query string."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and ("\x00" in scope["path"] or b"%00" in scope["query_string"]):
            problem = InvalidRequest("The request holds a NUL character", code="invalid_request")
            await reject(problem, scope, receive, send)
            return
        await self.app(scope, receive, send)
