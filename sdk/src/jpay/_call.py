"""One API call, described before it is sent: the resources build them, the clients send them."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
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
    body: Secret | None = None
    authenticated: bool = True
    idempotency_key: str | None = None


def json_body(data: Mapping[str, Any]) -> Secret:
    """A JSON request body (kept out of reprs and tracebacks, like every body)."""
    return Secret(json.dumps(dict(data), separators=(",", ":")))
