"""The dashboard application: create_web(settings, runtime) mounted at /dashboard/."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from jpay_server.errors import JPayError
from jpay_server.services.runtime import Runtime
from jpay_server.settings import Settings
from jpay_server.web import pages
from jpay_server.web.errors import status_of
from jpay_server.web.forms import FormRejected
from jpay_server.web.pages.base import SignInRequired, WebState, render_error
from jpay_server.web.security import SecurityHeaders

PREFIX = "/dashboard"
_HERE = Path(__file__).parent


def _templates() -> Environment:
    env = Environment(
        loader=FileSystemLoader(_HERE / "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["when"] = pages.base.when
    env.filters["money"] = pages.base.money
    return env


async def _to_root(_request: Request) -> Response:
    return RedirectResponse(f"{PREFIX}/", status_code=308)


async def _jpay_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, JPayError)
    if exc.code == "mfa_enrolment_required":  # the team requires it: the account page sets it up
        return RedirectResponse(f"{PREFIX}/account?mfa=required", status_code=303)
    return render_error(request, status_of(exc), exc.detail)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return render_error(request, exc.status_code, exc.detail)


async def _sign_in(_request: Request, _exc: Exception) -> Response:
    return RedirectResponse(f"{PREFIX}/login", status_code=303)


async def _form_error(request: Request, _exc: Exception) -> Response:
    return render_error(request, 400, "That form could not be read.")


def _routes() -> list[BaseRoute]:
    static = StaticFiles(directory=_HERE / "static")
    return [
        Route(PREFIX, _to_root),
        Mount(f"{PREFIX}/static", app=static, name="static"),
        *pages.routes(PREFIX),
    ]


def create_web(settings: Settings, runtime: Callable[[], Runtime]) -> Starlette:
    """The dashboard; `runtime` returns the process runtime the API's lifespan started."""
    app = Starlette(
        routes=_routes(),
        exception_handlers={
            JPayError: _jpay_error,
            HTTPException: _http_error,
            FormRejected: _form_error,
            SignInRequired: _sign_in,
        },
    )
    app.state.web = WebState(settings, runtime, _templates())
    app.add_middleware(SecurityHeaders)
    return app
