"""The overview: the first page after signing in."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from jpay_server.web.pages.base import render, to_sign_in, viewer


async def overview(request: Request) -> Response:
    """Approval status, balances and recent payments of the viewer's merchant."""
    me = await viewer(request)
    if me is None:
        return to_sign_in()
    return render(request, "overview.html", viewer=me, nav="overview")


def routes(prefix: str) -> list[BaseRoute]:
    """This module's routes."""
    return [Route(f"{prefix}/", overview, methods=["GET"])]
