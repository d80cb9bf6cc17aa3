"""Verify the webhooks JPay sends to your `callback_url` (Standard Webhooks signatures).

```python
event = jpay.webhooks.verify(payload=request.body, headers=request.headers, secret=WHSEC)
```

JPay signs `"{webhook-id}.{webhook-timestamp}.{body}"` with HMAC-SHA256 under the app's
webhook secret (`whsec_` + base64) and sends `webhook-signature: v1,<base64>`, one signature
per live secret (space-separated) while a secret is being rotated. Pass the *raw* body, before
any JSON parsing: re-serialised JSON does not match the signature.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from collections.abc import Mapping, Sequence

from jpay._errors import WebhookVerificationError
from jpay._models import WebhookEvent

__all__ = ["DEFAULT_TOLERANCE", "verify"]

DEFAULT_TOLERANCE = 300
"""Seconds a webhook's timestamp may differ from now (either way) before it is refused."""

_SECRET_PREFIX = "whsec_"  # noqa: S105 - a prefix


def verify(
    *,
    payload: bytes | str,
    headers: Mapping[str, str],
    secret: str | Sequence[str],
    tolerance: int = DEFAULT_TOLERANCE,
) -> WebhookEvent:
    """Check a webhook's signature and timestamp and return the event it carries.

    `secret` may be a list, to accept either of two secrets while rotating. Raises
    `WebhookVerificationError` (with `.code`) on missing headers, a timestamp more than
    `tolerance` seconds from now (a replay), no matching signature, or a body that is not
    a JPay event.
    """
    body = payload.encode() if isinstance(payload, str) else bytes(payload)
    lowered = {name.lower(): value for name, value in headers.items()}
    event_id = lowered.get("webhook-id")
    timestamp = lowered.get("webhook-timestamp")
    signatures = lowered.get("webhook-signature")
    if not (event_id and timestamp and signatures):
        raise WebhookVerificationError(
            "Missing webhook-id, webhook-timestamp or webhook-signature header",
            code="missing_headers",
        )
    _check_timestamp(timestamp, tolerance)
    signed = f"{event_id}.{timestamp}.".encode() + body
    keys = [_key(s) for s in ([secret] if isinstance(secret, str) else secret)]
    if not keys:
        raise WebhookVerificationError("No webhook secret given", code="invalid_secret")
    if not _any_matches(keys, signed, signatures):
        raise WebhookVerificationError("No matching signature", code="invalid_signature")
    return _event(event_id, body)


def _key(secret: str) -> bytes:
    raw = secret[len(_SECRET_PREFIX) :] if secret.startswith(_SECRET_PREFIX) else secret
    try:
        key = base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        raise WebhookVerificationError(
            "The webhook secret is not a whsec_ secret", code="invalid_secret"
        ) from None
    if not key:
        raise WebhookVerificationError("The webhook secret is empty", code="invalid_secret")
    return key


def _check_timestamp(value: str, tolerance: int) -> None:
    try:
        sent = int(value)
    except ValueError:
        raise WebhookVerificationError(
            "Invalid webhook-timestamp header", code="invalid_timestamp"
        ) from None
    now = time.time()
    if sent < now - tolerance:
        raise WebhookVerificationError("Webhook timestamp too old", code="timestamp_too_old")
    if sent > now + tolerance:
        raise WebhookVerificationError("Webhook timestamp too new", code="timestamp_too_new")


def _any_matches(keys: list[bytes], signed: bytes, header: str) -> bool:
    expected = [hmac.new(key, signed, hashlib.sha256).digest() for key in keys]
    matched = False
    for entry in header.split():
        version, _, encoded = entry.partition(",")
        if version != "v1":
            continue
        try:
            given = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            continue
        # Compare against every key without stopping early: timing tells nothing.
        for digest in expected:
            matched |= hmac.compare_digest(digest, given)
    return matched


def _event(event_id: str, body: bytes) -> WebhookEvent:
    try:
        data = json.loads(body)
        if not isinstance(data, dict):
            raise TypeError("the body is not a JSON object")
        return WebhookEvent.from_json(event_id, data)
    except (ValueError, KeyError, TypeError, ArithmeticError) as exc:
        raise WebhookVerificationError(
            f"Webhook body is not a JPay event ({type(exc).__name__})", code="invalid_payload"
        ) from None
