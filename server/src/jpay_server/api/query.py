"""Query strings: one pydantic validation per request, declared to OpenAPI by hand.

FastAPI's per-parameter `Query()` machinery re-inspects every parameter's annotation on each
request; on a list endpoint that was about a tenth of the request's CPU time (bench/README.md).
Validating the whole query string against one model gives the same rules and error messages.
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from starlette.requests import Request

from jpay_server.errors import invalid_query_parameter

M = TypeVar("M", bound=BaseModel)


def parse_query(request: Request, model: type[M]) -> M:
    """The request's query string validated against `model`; a 400 names the bad parameter."""
    try:
        return model.model_validate(dict(request.query_params))
    except ValidationError as exc:
        raise invalid_query_parameter(str(exc.errors()[0]["loc"][0])) from None


def parameters(model: type[BaseModel]) -> dict[str, Any]:
    """The `openapi_extra` declaring `model`'s fields as optional query parameters."""
    schema = model.model_json_schema(ref_template="#/$defs/{model}")
    definitions = schema.get("$defs", {})
    declared = []
    for name, field in schema["properties"].items():
        field = _without_null(_inline(field, definitions))
        description = field.pop("description", None)
        field.pop("title", None)
        declared.append(
            {
                "name": name,
                "in": "query",
                "required": False,
                "schema": field,
                **({"description": description} if description else {}),
            }
        )
    return {"parameters": declared}


def _without_null(field: dict[str, Any]) -> dict[str, Any]:
    """An optional parameter is absent, never null: `anyOf [X, null]` becomes X."""
    options = [o for o in field.get("anyOf", ()) if o != {"type": "null"}]
    if len(options) != 1:
        return field
    rest = {k: v for k, v in field.items() if k != "anyOf"}
    chosen: dict[str, Any] = options[0] | rest
    return chosen


def _inline(node: Any, definitions: dict[str, Any]) -> Any:
    """`node` with local `$ref`s replaced by the definitions they name."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            target = dict(definitions[ref.removeprefix("#/$defs/")])
            target.pop("title", None)
            return _inline(target | {k: v for k, v in node.items() if k != "$ref"}, definitions)
        return {key: _inline(value, definitions) for key, value in node.items()}
    if isinstance(node, list):
        return [_inline(item, definitions) for item in node]
    return node
