"""How a resource method is made: one function builds the call, each client sends it its way.

A resource's parameter list is written once, on the function that builds its `Call`;
`endpoint` and `async_endpoint` make that function the method of `JPay`'s and `AsyncJPay`'s
resource, with its signature and docstring. Resources know their client only through the
`Sender` protocols below, so they need not import the clients (which import them).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Coroutine
from typing import Any, Concatenate, ParamSpec, Protocol, TypeVar

from jpay._call import Call

P = ParamSpec("P")
T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])


class Sender(Protocol):
    """What a resource of the sync client needs of it."""

    def _request(self, call: Call[T]) -> T: ...


class AsyncSender(Protocol):
    """What a resource of the async client needs of it."""

    async def _request(self, call: Call[T]) -> T: ...


class Resource:
    """A group of the sync client's methods (`client.collections`, ...)."""

    def __init__(self, client: Sender) -> None:
        self._client = client


class AsyncResource:
    """A group of the async client's methods."""

    def __init__(self, client: AsyncSender) -> None:
        self._client = client


def endpoint(build: Callable[P, Call[T]]) -> Callable[Concatenate[Resource, P], T]:
    """The sync method that sends the call `build` makes and returns its answer."""

    def method(self: Resource, /, *args: P.args, **kwargs: P.kwargs) -> T:
        return self._client._request(build(*args, **kwargs))

    return _like(method, build)


def async_endpoint(
    build: Callable[P, Call[T]],
) -> Callable[Concatenate[AsyncResource, P], Coroutine[Any, Any, T]]:
    """The async method that sends the call `build` makes and returns its answer."""

    async def method(self: AsyncResource, /, *args: P.args, **kwargs: P.kwargs) -> T:
        return await self._client._request(build(*args, **kwargs))

    return _like(method, build)


def _like(method: F, build: Callable[..., Any]) -> F:
    """Give `method` the name, docstring and signature (with `self`) of `build`."""
    name = build.__name__.removeprefix("_")
    signature = inspect.signature(build)
    this = inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)
    method.__name__ = method.__qualname__ = name  # not "endpoint.<locals>.method" in reprs
    method.__doc__ = build.__doc__
    method.__module__ = build.__module__
    method.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=[this, *signature.parameters.values()],
        return_annotation=_answer(signature.return_annotation),
    )
    return method


def _answer(built: object) -> object:
    """What the method returns, from what `build` returns: "Call[Page[Payout]]" → "Page[Payout]"."""
    if isinstance(built, str) and built.startswith("Call[") and built.endswith("]"):
        return built[len("Call[") : -1]
    return inspect.Signature.empty
