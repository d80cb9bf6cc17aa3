"""Liveness and readiness probes."""

from __future__ import annotations

from starlette.requests import Request

from jpay_server.api.deps import runtime
from jpay_server.api.openapi import errors
from jpay_server.api.responses import JSONResponse
from jpay_server.api.routing import Routes
from jpay_server.api.schemas.common import Health

routes = Routes(tag="health")


@routes.get(
    "/healthz",
    response=Health,
    summary="Liveness",
)
async def healthz(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


@routes.get(
    "/readyz",
    response=Health,
    errors=errors(503),
    summary="Readiness",
)
async def readyz(request: Request) -> JSONResponse:
    await runtime(request).database.ping()
    return JSONResponse({"status": "ready"})
