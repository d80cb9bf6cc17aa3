"""The reference for the ratios: a bare Starlette app under the same uvicorn settings.

Its GET only verifies an HS256 Bearer JWT with PyJWT and returns a fixed list; its POST only
parses a JSON body and returns a fixed JSON object. Nothing else: no database, no state.
"""

from __future__ import annotations

import os

import jwt
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

KEY = os.environ.get("BENCH_BASELINE_KEY", "baseline-key-" + "k" * 32).encode()
LISTING = {"count": 0, "next": None, "previous": None, "results": []}
ANSWER = {"access": "a", "refresh": "r", "expires_in": 900, "token_type": "Bearer"}


async def get(request: Request) -> JSONResponse:
    """Verify the Bearer token; answer a fixed list."""
    token = request.headers.get("authorization", "").removeprefix("Bearer ")
    try:
        jwt.decode(token, KEY, algorithms=["HS256"], audience="jpay:api")
    except jwt.PyJWTError:
        return JSONResponse({"detail": "Invalid or expired token"}, status_code=401)
    return JSONResponse(LISTING)


async def post(request: Request) -> JSONResponse:
    """Parse the JSON body; answer a fixed object."""
    await request.json()
    return JSONResponse(ANSWER)


app = Starlette(routes=[Route("/get", get), Route("/post", post, methods=["POST"])])
