"""One API call, described before it is sent: the resources build them, the clients send them."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from jpay._secret import Secret

T = TypeVar("T")


@dataclass(frozen=True)
class Call(Generic[T]):
    """What to send, and how to read a successful answer."""

    method: str
    path: str
    parse: Callable[[Any], T]
    params: Mapping[str, str | int] | None = None
    # The JSON body; its values may be `Secret`s (revealed only when it is serialised), and
    # it can hold personal data (phone numbers), so it stays out of the repr.
    body: Mapping[str, object] | None = field(default=None, repr=False)
    authenticated: bool = True
    idempotency_key: str | None = None
    # The body's `app_code` defaults to the app the access token belongs to.
    app_scoped: bool = False


def json_content(body: Mapping[str, object]) -> bytes:
    """The wire form of a body: compact JSON, `Secret` values revealed here and nowhere else."""
    return json.dumps(body, separators=(",", ":"), default=_reveal).encode()


def _reveal(value: object) -> str:
    if isinstance(value, Secret):
        return value.reveal()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")
