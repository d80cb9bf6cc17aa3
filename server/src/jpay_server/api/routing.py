"""Route declarations: each route is a plain Starlette `Route` plus the OpenAPI operation it is.

A route declares what it takes (auth, path parameters, query model, Idempotency-Key, body
model) and what it answers; the handler receives those, validated, as positional arguments
in that order after the request. FastAPI's router and dependency solver did the same work
for a third of a protected GET's CPU (bench/README.md); the rules, the error answers and the
OpenAPI document are unchanged (`api/openapi.py` writes the document from `Operation`s).
"""

from __future__ import annotations

import inspect
import json
import string
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Any

from pydantic import BaseModel, TypeAdapter, ValidationError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from jpay_server.api.errors import invalid_input
from jpay_server.api.query import parse_query

Handler = Callable[..., Awaitable[Response]]
Auth = Callable[[Request], Awaitable[Any]]
IDEMPOTENCY_KEY = "Idempotency-Key"
IDEMPOTENCY_KEY_MAX = 255
_PATH_TYPES: dict[str, type[int] | type[str]] = {"int": int, "str": str}
_MISSING = object()


@dataclass(frozen=True)
class Operation:
    """What one route tells OpenAPI: method, path, models, errors, words, security."""

    method: str
    path: str
    name: str
    doc: str | None
    tag: str | None
    summary: str
    description: str | None
    response: Any
    status: int
    errors: dict[int | str, dict[str, Any]]
    secured: bool
    body: type[BaseModel] | None
    query: type[BaseModel] | None
    path_types: tuple[tuple[str, type[int] | type[str]], ...]
    idempotency_key: bool


class Routes:
    """One resource's routes under a path prefix and an OpenAPI tag."""

    def __init__(self, prefix: str = "", tag: str | None = None) -> None:
        self.prefix = prefix
        self.tag = tag
        self.declared: list[tuple[Operation, Handler, Auth | None]] = []

    def operations(self, prefix: str = "") -> list[Operation]:
        """What the routes document, their paths under `prefix`."""
        return [replace(op, path=prefix + op.path) for op, _, _ in self.declared]

    def routes(self, prefix: str = "") -> list[Route]:
        """The Starlette routes, under `prefix`."""
        found = []
        for op, handler, auth in self.declared:
            route = Route(prefix + op.path, _endpoint(op, handler, auth), methods=[op.method])
            route.methods = {op.method}  # as before: no implicit HEAD (HEAD was a 405)
            found.append(route)
        return found

    def get(self, path: str, **declared: Any) -> Callable[[Handler], Handler]:
        """Declare a GET route (keywords as for `add`)."""
        return self.add("GET", path, **declared)

    def post(self, path: str, **declared: Any) -> Callable[[Handler], Handler]:
        """Declare a POST route (keywords as for `add`)."""
        return self.add("POST", path, **declared)

    def put(self, path: str, **declared: Any) -> Callable[[Handler], Handler]:
        """Declare a PUT route (keywords as for `add`)."""
        return self.add("PUT", path, **declared)

    def patch(self, path: str, **declared: Any) -> Callable[[Handler], Handler]:
        """Declare a PATCH route (keywords as for `add`)."""
        return self.add("PATCH", path, **declared)

    def delete(self, path: str, **declared: Any) -> Callable[[Handler], Handler]:
        """Declare a DELETE route (keywords as for `add`)."""
        return self.add("DELETE", path, **declared)

    def add(
        self,
        method: str,
        path: str,
        *,
        summary: str,
        description: str | None = None,
        response: Any = None,
        status: int = 200,
        errors: dict[int | str, dict[str, Any]] | None = None,
        auth: Auth | None = None,
        query: type[BaseModel] | None = None,
        idempotency_key: bool = False,
        body: type[BaseModel] | None = None,
    ) -> Callable[[Handler], Handler]:
        """Declare a route; its handler takes the request, then in this order: the `auth`
        result, the path parameters (annotated `int` or `str`), the `query` model, the
        Idempotency-Key header (or None), the `body` model."""

        def register(handler: Handler) -> Handler:
            full = self.prefix + path
            operation = Operation(
                method=method,
                path=full,
                name=handler.__name__,
                doc=handler.__doc__,
                tag=self.tag,
                summary=summary,
                description=description,
                response=response,
                status=status,
                errors=errors or {},
                secured=auth is not None,
                body=body,
                query=query,
                path_types=_path_types(full, handler, auth is not None),
                idempotency_key=idempotency_key,
            )
            _check_arity(operation, handler)
            self.declared.append((operation, handler, auth))
            return handler

        return register


def _path_types(
    path: str, handler: Handler, authed: bool
) -> tuple[tuple[str, type[int] | type[str]], ...]:
    """Each `{name}` in the path with the type its handler parameter is annotated with."""
    names = [name for _, name, _, _ in string.Formatter().parse(path) if name]
    parameters = list(inspect.signature(handler).parameters.values())[1 + authed :]
    found = []
    for name, parameter in zip(names, parameters, strict=False):
        annotation = parameter.annotation
        kind = _PATH_TYPES.get(annotation if isinstance(annotation, str) else annotation.__name__)
        if parameter.name != name or kind is None:
            raise TypeError(
                f"{handler.__name__}: path parameter {name} must come as `{name}: int|str`"
            )
        found.append((name, kind))
    return tuple(found)


def _check_arity(operation: Operation, handler: Handler) -> None:
    """A handler takes exactly what its route declares, or the app does not start."""
    expected = 1 + operation.secured + len(operation.path_types)
    expected += (operation.query is not None) + operation.idempotency_key
    expected += operation.body is not None
    if len(inspect.signature(handler).parameters) != expected:
        raise TypeError(f"{operation.name} must take {expected} parameters as declared")


_INT = TypeAdapter(int)


def _endpoint(
    operation: Operation, handler: Handler, auth: Auth | None
) -> Callable[[Request], Awaitable[Response]]:
    """The Starlette endpoint: read, check and pass what the route declares, in FastAPI's
    order (malformed JSON, then auth, path, query, header, then the body's fields), so the
    same request gets the same answer it always did."""
    path_types = operation.path_types
    query, body, wants_key = operation.query, operation.body, operation.idempotency_key

    async def endpoint(request: Request) -> Response:
        data = _MISSING
        if body is not None:
            data = await _json(request)
        args: list[Any] = []
        if auth is not None:
            args.append(await auth(request))
        for name, kind in path_types:
            args.append(_path_value(request, name, kind))
        if query is not None:
            args.append(parse_query(request, query))
        if wants_key:
            args.append(_idempotency_key(request))
        if body is not None:
            args.append(_body(body, data))
        return await handler(request, *args)

    return endpoint


async def _json(request: Request) -> Any:
    """The parsed body, or _MISSING if there is none; malformed JSON is a 400 at once."""
    raw = await request.body()
    if not raw:
        return _MISSING
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        raise invalid_input({"type": "json_invalid", "loc": ("body",)}) from None
    except (ValueError, RecursionError):  # not UTF-8, or nested too deep: FastAPI's answer
        raise HTTPException(400, "There was an error parsing the body") from None


def _body(model: type[BaseModel], data: Any) -> BaseModel:
    if data is _MISSING:
        raise invalid_input({"type": "missing", "loc": ("body",)})
    try:
        return model.model_validate(data, from_attributes=True)
    except ValidationError as exc:
        error = exc.errors(include_url=False)[0]
        raise invalid_input({**error, "loc": ("body", *error["loc"])}) from None


def _path_value(request: Request, name: str, kind: type[int] | type[str]) -> int | str:
    value: str = request.path_params[name]
    if kind is str:
        return value
    try:
        return _INT.validate_python(value)
    except ValidationError as exc:
        error = exc.errors(include_url=False)[0]
        raise invalid_input({**error, "loc": ("path", name)}) from None


def _idempotency_key(request: Request) -> str | None:
    key = request.headers.get(IDEMPOTENCY_KEY)
    if key is not None and len(key) > IDEMPOTENCY_KEY_MAX:
        error = {"type": "string_too_long", "ctx": {"max_length": IDEMPOTENCY_KEY_MAX}}
        raise invalid_input({**error, "loc": ("header", IDEMPOTENCY_KEY)})
    return key
