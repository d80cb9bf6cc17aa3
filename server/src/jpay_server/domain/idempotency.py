"""Idempotency keys: the same key and body replay the first answer; another body is a conflict."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from jpay_server.errors import Conflict, InvalidRequest

MAX_KEY = 255


@dataclass(frozen=True, slots=True)
class Remembered:
    """A successful response kept under its key."""

    endpoint: str
    fingerprint: str
    status_code: int
    body: dict[str, Any]


def check_key(value: str) -> str:
    """1-255 printable ASCII characters."""
    if not 0 < len(value) <= MAX_KEY or not (value.isascii() and value.isprintable()):
        raise InvalidRequest(
            f"Idempotency-Key must be 1-{MAX_KEY} printable ASCII characters",
            code="invalid_idempotency_key",
            field="Idempotency-Key",
        )
    return value


def fingerprint(endpoint: str, body: Any) -> str:
    """A digest of the request: the same JSON means the same request, whatever its layout."""
    canonical = json.dumps([endpoint, body], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def replay(remembered: Remembered, endpoint: str, fp: str) -> Remembered:
    """The remembered answer, if this request is the same one; else 409."""
    if remembered.endpoint != endpoint or remembered.fingerprint != fp:
        raise Conflict(
            "Idempotency-Key was already used with a different request",
            code="idempotency_key_reused",
        )
    return remembered
