"""jpay.webhooks.verify against signatures made by the `standardwebhooks` reference library.

(The same function is checked against events the real server delivers in
test_sdk_payments_async.py and test_sdk_http.py.)
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from standardwebhooks.webhooks import Webhook

import jpay
from jpay import Collection, Payout, WebhookEvent, WebhookVerificationError

SECRET = "whsec_" + base64.b64encode(b"0123456789abcdef0123456789abcdef").decode()
OTHER = "whsec_" + base64.b64encode(b"another-secret-another-secret-!!").decode()
COLLECTION = {
    "id": "COLL-20261128-7K2M9Q4X1B",
    "payfrom": "+254712345678",
    "amount": "1000.00",
    "ref_no": "ORDER-2024-001",
    "account_number": "1001",
    "callback_url": "https://yourdomain.com/webhook",
    "status": "completed",
    "status_code": 2,
    "category": "ecommerce",
    "narration": "Payment for Order #123",
    "channel": 63902,
    "channel_name": "M-Pesa",
    "channel_type": "Mobile Money",
    "app_code": 12345678,
    "failure_reason": None,
    "created_at": "28/11/2026 14:30:45",
    "updated_at": "28/11/2026 14:30:50",
}


def signed(
    body: dict[str, object],
    *,
    secrets: tuple[str, ...] = (SECRET,),
    at: datetime | None = None,
    msg_id: str = "evt_2Kc9Yq",
) -> tuple[bytes, dict[str, str]]:
    """A webhook as the reference library signs it."""
    payload = json.dumps(body)
    when = at or datetime.now(UTC)
    signature = " ".join(Webhook(s).sign(msg_id, when, payload) for s in secrets)
    headers = {
        "Webhook-Id": msg_id,
        "Webhook-Timestamp": str(int(when.timestamp())),
        "Webhook-Signature": signature,
    }
    return payload.encode(), headers


def event(kind: str = "collection.completed", data: object = COLLECTION) -> dict[str, object]:
    return {"type": kind, "timestamp": "2026-11-28T14:30:50Z", "data": data}


def test_a_reference_signature_verifies_and_the_event_is_typed() -> None:
    body, headers = signed(event())
    verified = jpay.webhooks.verify(payload=body, headers=headers, secret=SECRET)
    assert isinstance(verified, WebhookEvent)
    assert (verified.id, verified.type) == ("evt_2Kc9Yq", "collection.completed")
    assert verified.timestamp == datetime(2026, 11, 28, 14, 30, 50, tzinfo=UTC)
    assert isinstance(verified.data, Collection)
    assert verified.data.amount == Decimal("1000.00")
    assert verified.data.updated_at == datetime(2026, 11, 28, 14, 30, 50, tzinfo=UTC)
    # The reference library agrees it is valid (the test's own signer is not the oracle).
    assert Webhook(SECRET).verify(body, headers)["type"] == "collection.completed"


def test_payload_may_be_text_and_secret_may_lack_the_prefix() -> None:
    body, headers = signed(event())
    bare = SECRET.removeprefix("whsec_")
    assert jpay.webhooks.verify(payload=body.decode(), headers=headers, secret=bare).type


def test_payout_and_other_events() -> None:
    payout = {k: v for k, v in COLLECTION.items() if k not in ("payfrom", "account_number")}
    payout |= {"id": "PAYOUT-20261128-Q8W3E5R7T2", "payto": "+254712345678", "status": "failed"}
    body, headers = signed(event("payout.failed", payout))
    assert isinstance(
        jpay.webhooks.verify(payload=body, headers=headers, secret=SECRET).data, Payout
    )
    security = {"app_code": 1, "family_id": "f", "client_ip": "203.0.113.9"}
    body, headers = signed(event("security.refresh_token_reused", security))
    assert jpay.webhooks.verify(payload=body, headers=headers, secret=SECRET).data == security


@pytest.mark.parametrize(
    ("change", "code"),
    [
        (lambda b, h: (b.replace(b"1000.00", b"9000.00"), h), "invalid_signature"),
        (lambda b, h: (b, {**h, "Webhook-Id": "evt_other"}), "invalid_signature"),
        (
            lambda b, h: (b, {**h, "Webhook-Signature": "v2," + h["Webhook-Signature"][3:]}),
            "invalid_signature",
        ),
        (lambda b, h: (b, {**h, "Webhook-Signature": "v1,not base64!"}), "invalid_signature"),
        (lambda b, h: (b, {**h, "Webhook-Signature": ""}), "missing_headers"),
        (lambda b, h: (b, {k: v for k, v in h.items() if k != "Webhook-Id"}), "missing_headers"),
        (lambda b, h: (b, {**h, "Webhook-Timestamp": "soon"}), "invalid_timestamp"),
    ],
    ids=["body", "id", "version", "garbage", "no-signature", "no-id", "timestamp-text"],
)
def test_anything_altered_is_refused(change, code: str) -> None:
    body, headers = change(*signed(event()))
    with pytest.raises(WebhookVerificationError) as caught:
        jpay.webhooks.verify(payload=body, headers=headers, secret=SECRET)
    assert caught.value.code == code


def test_a_stale_or_future_timestamp_is_refused() -> None:
    old = datetime.now(UTC) - timedelta(minutes=6)
    body, headers = signed(event(), at=old)
    with pytest.raises(WebhookVerificationError) as caught:
        jpay.webhooks.verify(payload=body, headers=headers, secret=SECRET)
    assert caught.value.code == "timestamp_too_old"
    body, headers = signed(event(), at=datetime.now(UTC) + timedelta(minutes=6))
    with pytest.raises(WebhookVerificationError) as caught:
        jpay.webhooks.verify(payload=body, headers=headers, secret=SECRET)
    assert caught.value.code == "timestamp_too_new"
    # Within a wider tolerance the old one is fine (its signature covers the timestamp).
    body, headers = signed(event(), at=old)
    assert jpay.webhooks.verify(payload=body, headers=headers, secret=SECRET, tolerance=600).id


def test_the_wrong_secret_is_refused_and_rotation_accepts_either() -> None:
    body, headers = signed(event())
    with pytest.raises(WebhookVerificationError) as caught:
        jpay.webhooks.verify(payload=body, headers=headers, secret=OTHER)
    assert caught.value.code == "invalid_signature"
    # During a rotation overlap the server sends one signature per live secret...
    body, headers = signed(event(), secrets=(OTHER, SECRET))
    assert jpay.webhooks.verify(payload=body, headers=headers, secret=SECRET).id
    # ...and a receiver may hold both secrets while it switches.
    body, headers = signed(event(), secrets=(OTHER,))
    assert jpay.webhooks.verify(payload=body, headers=headers, secret=[SECRET, OTHER]).id


def test_bad_secrets_and_bodies() -> None:
    body, headers = signed(event())
    with pytest.raises(WebhookVerificationError) as caught:
        jpay.webhooks.verify(payload=body, headers=headers, secret="whsec_***")
    assert caught.value.code == "invalid_secret"
    with pytest.raises(WebhookVerificationError) as caught:
        jpay.webhooks.verify(payload=body, headers=headers, secret=[])
    assert caught.value.code == "invalid_secret"
    for bad in ([1, 2], {"type": "collection.completed", "data": {"id": "x"}}):
        body, headers = signed(bad)  # type: ignore[arg-type]
        with pytest.raises(WebhookVerificationError) as caught:
            jpay.webhooks.verify(payload=body, headers=headers, secret=SECRET)
        assert caught.value.code == "invalid_payload"


def test_the_secret_never_appears_in_the_error() -> None:
    body, headers = signed(event())
    with pytest.raises(WebhookVerificationError) as caught:
        jpay.webhooks.verify(payload=body + b" ", headers=headers, secret=SECRET)
    assert SECRET not in str(caught.value)
    assert SECRET.removeprefix("whsec_") not in repr(caught.value)
