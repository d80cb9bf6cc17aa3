"""The API's pure ASGI middleware: request id, response headers and request guards in one.

Each guard's rule lives in the module named after it (body_limit, nul, json_bodies);
request_context runs them in their one right order in a single pass over the headers.
"""

from __future__ import annotations

from starlette.applications import Starlette

from jpay_server.api.middleware.request_context import RequestContext


def install(app: Starlette, max_body_bytes: int) -> None:
    """Outermost: request id and headers, body size (413), NUL (400), media type (415).

    The size check runs before the NUL check so a 413 is never overwritten by a later finding.
    """
    app.add_middleware(RequestContext, max_body_bytes=max_body_bytes)
