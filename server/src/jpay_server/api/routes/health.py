"""Liveness and readiness probes."""

from __future__ import annotations

from fastapi import APIRouter, Request

from jpay_server.api.deps import runtime
from jpay_server.api.openapi import errors
from jpay_server.api.schemas.common import Health

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Health, summary="Liveness")
async def healthz() -> Health:
    return Health(status="ok")


@router.get("/readyz", response_model=Health, responses=errors(503), summary="Readiness")
async def readyz(request: Request) -> Health:
    await runtime(request).database.ping()
    return Health(status="ready")
