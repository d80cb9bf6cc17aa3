"""Hand-built JWTs for attack tests: any header, any payload, any (or no) signature."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

DIGESTS = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def unb64(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def parts(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    header, payload, _ = token.split(".")
    return json.loads(unb64(header)), json.loads(unb64(payload))


def forge(
    header: dict[str, Any] | str,
    payload: dict[str, Any] | str,
    key: bytes | None,
    alg: str = "HS256",
) -> str:
    """Encode `header` and `payload` (dicts or raw JSON) and sign with `key` (None: unsigned)."""
    head = b64((header if isinstance(header, str) else json.dumps(header)).encode())
    body = b64((payload if isinstance(payload, str) else json.dumps(payload)).encode())
    signing_input = f"{head}.{body}".encode()
    signature = b"" if key is None else hmac.new(key, signing_input, DIGESTS[alg]).digest()
    return f"{head}.{body}.{b64(signature)}"
