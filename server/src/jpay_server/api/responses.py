"""The JSON responses routes and errors use."""

from __future__ import annotations

from typing import Any

import pydantic_core
from starlette.responses import JSONResponse as StarletteJSONResponse
from starlette.responses import Response


class JSONResponse(StarletteJSONResponse):
    """Starlette's JSONResponse, rendered by pydantic-core (installed with FastAPI)."""

    # Compact UTF-8 JSON as Starlette's json.dumps writes it, in a third of the time on a
    # page of fifty payments (bench/README.md).
    def render(self, content: Any) -> bytes:
        return pydantic_core.to_json(content)


class SplicedJSONResponse(Response):
    """A JSON object: `head`'s members (at least one), then `key`: a list of JSON texts.

    The texts are spliced in as they are, not parsed and written again: that is the point of
    rendering them in the database (store.wire_sql).
    """

    media_type = "application/json"

    def __init__(self, head: dict[str, Any], key: str, items: list[str]) -> None:
        opening = pydantic_core.to_json(head)[:-1]  # the head's members, without its "}"
        member = pydantic_core.to_json(key) + b":[" + ",".join(items).encode() + b"]}"
        super().__init__(opening + b"," + member)
