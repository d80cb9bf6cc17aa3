"""The answer of an idempotent use case as HTTP: a replayed one says so in a header."""

from __future__ import annotations

from jpay_server.api.responses import JSONResponse
from jpay_server.services.idempotency import Answer


def answered(answer: Answer) -> JSONResponse:
    """The answer; `Idempotent-Replayed: true` if it is the first request's, replayed."""
    headers = {"Idempotent-Replayed": "true"} if answer.replayed else None
    return JSONResponse(answer.body, answer.status_code, headers=headers)
