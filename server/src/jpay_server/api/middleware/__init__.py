"""Pure ASGI middlewares, one concern each; `install` stacks them in their one right order."""

from __future__ import annotations

from starlette.applications import Starlette

from jpay_server.api.middleware.body_limit import BodyLimit
from jpay_server.api.middleware.json_bodies import JsonBodies
from jpay_server.api.middleware.nul import RefuseNul
from jpay_server.api.middleware.request_context import RequestContext


def install(app: Starlette, max_body_bytes: int) -> None:
    """Outermost first: request id and headers, body size (413), NUL (400), media type (415).

    `add_middleware` wraps what was added before, so they are added innermost first. The size
    check runs before the NUL check so a 413 is never overwritten by a later finding.
    """
    app.add_middleware(JsonBodies)
    app.add_middleware(RefuseNul)
    app.add_middleware(BodyLimit, max_body_bytes=max_body_bytes)
    app.add_middleware(RequestContext)
