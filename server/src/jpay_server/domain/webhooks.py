"""Webhooks: events, Standard Webhooks secrets, the retry schedule, and where we may POST.

Delivery follows the Standard Webhooks spec: 2xx is success, 410 Gone stops, anything else is
retried on a schedule with jitter, and a Retry-After asking for longer is honoured.
"""

from __future__ import annotations

import base64
import ipaddress
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

from jpay_server.domain.payments import Payment, PaymentKind, PaymentStatus
from jpay_server.domain.randomness import TokenBytes
from jpay_server.errors import InvalidRequest

SECRET_PREFIX = "whsec_"  # noqa: S105 - a prefix, not a secret
MAX_URL = 2048
MAX_RETRY_AFTER = 86_400.0
JITTER = 0.1
_PRIVATE_SUFFIXES = (".localhost", ".local", ".internal", ".home.arpa")


class EventType(StrEnum):
    """What happened."""

    COLLECTION_COMPLETED = "collection.completed"
    COLLECTION_FAILED = "collection.failed"
    PAYOUT_COMPLETED = "payout.completed"
    PAYOUT_FAILED = "payout.failed"
    REFRESH_TOKEN_REUSED = "security.refresh_token_reused"  # noqa: S105
    TEST = "webhook.test"  # sent on request from the merchant API, to check a receiver


class EventStatus(StrEnum):
    """Where an event's delivery stands."""

    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"  # the schedule ran out
    GONE = "gone"  # the receiver answered 410


@dataclass(frozen=True, slots=True)
class WebhookEvent:
    """One event to deliver: its exact body is signed and sent on every attempt."""

    id: str
    app_code: int
    type: str
    url: str
    body: str
    status: EventStatus
    attempts: int
    next_attempt_at: datetime | None
    created_at: datetime
    delivered_at: datetime | None = None
    last_status: int | None = None
    last_error: str | None = None


@dataclass(frozen=True, slots=True)
class Delivery:
    """One attempt's outcome as seen by the worker."""

    status_code: int | None
    error: str | None
    retry_after: float | None
    duration_ms: int
    excerpt: str | None = None  # the first bytes of the answer, for the merchant to read


def payment_event(payment: Payment) -> EventType:
    """The event a payment's final state raises."""
    completed = payment.status is PaymentStatus.COMPLETED
    if payment.kind is PaymentKind.COLLECTION:
        return EventType.COLLECTION_COMPLETED if completed else EventType.COLLECTION_FAILED
    return EventType.PAYOUT_COMPLETED if completed else EventType.PAYOUT_FAILED


def new_secret(rand: TokenBytes) -> str:
    """`whsec_` + base64 of 32 random bytes (Standard Webhooks: 24-64 bytes)."""
    return SECRET_PREFIX + base64.b64encode(rand(32)).decode()


def new_event_id(rand: TokenBytes) -> str:
    """A unique message id (receivers deduplicate on it)."""
    return "msg_" + rand(12).hex()


def envelope(event_type: EventType, data: dict[str, Any], now: datetime) -> str:
    """The JSON body: type, timestamp, data (Standard Webhooks' recommended payload)."""
    stamp = now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return json.dumps({"type": event_type.value, "timestamp": stamp, "data": data})


def after_attempt(
    attempt: int,
    delivery: Delivery,
    schedule: Sequence[float],
    now: datetime,
    jitter: float,
) -> tuple[EventStatus, datetime | None]:
    """The event's state after attempt number `attempt` (1-based); `jitter` is in [-1, 1]."""
    code = delivery.status_code
    if code is not None and 200 <= code < 300:
        return EventStatus.DELIVERED, None
    if code == 410:
        return EventStatus.GONE, None
    if attempt >= len(schedule):
        return EventStatus.FAILED, None
    delay = schedule[attempt] * (1 + JITTER * jitter)
    if delivery.retry_after is not None:
        delay = max(delay, min(delivery.retry_after, MAX_RETRY_AFTER))
    return EventStatus.PENDING, now + timedelta(seconds=delay)


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or HTTP-date, RFC 9110 §10.2.3)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def bad_callback_url(field: str, allow_private: bool) -> InvalidRequest:
    """The error for a callback URL we will not call."""
    if allow_private:
        detail = f"{field} must be an absolute http(s) URL"
    else:
        detail = f"{field} must be a public https URL"
    return InvalidRequest(detail, code="invalid_callback_url", field=field)


def check_callback_url(url: str, allow_private: bool, field: str = "callback_url") -> str:
    """An http(s) URL without credentials; outside development, https to a public host."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise bad_callback_url(field, allow_private) from None
    host = (parts.hostname or "").lower()
    schemes = ("http", "https") if allow_private else ("https",)
    if len(url) > MAX_URL or parts.scheme not in schemes or not host or parts.username:
        raise bad_callback_url(field, allow_private)
    # Control and format characters (terminal escapes, bidi overrides) have no place in a URL
    # and would reach the operator's terminal and the receiver's logs.
    if port == 0 or not url.isprintable() or any(c.isspace() for c in url):
        raise bad_callback_url(field, allow_private)
    if not allow_private and not _may_be_public(host):
        raise bad_callback_url(field, allow_private)
    return url


def _may_be_public(host: str) -> bool:
    try:
        return is_public(ipaddress.ip_address(host))
    except ValueError:
        return host != "localhost" and not host.endswith(_PRIVATE_SUFFIXES) and "." in host


# IPv6 ranges that carry an IPv4 address a gateway will reach: judged by that address.
_NAT64 = ipaddress.ip_network("64:ff9b::/96")  # RFC 6052
_SIX_TO_FOUR = ipaddress.ip_network("2002::/16")  # RFC 3056
# Refused whole: local-use NAT64 (RFC 8215), IPv4-compatible (deprecated, RFC 4291 §2.5.5.1),
# IPv4-translated (RFC 2765).
_REFUSED_V6 = tuple(ipaddress.ip_network(n) for n in ("64:ff9b:1::/48", "::/96", "::ffff:0:0:0/96"))


def is_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """True for globally routable unicast addresses (not loopback, private, link-local …).

    An IPv6 address that embeds an IPv4 one (mapped, NAT64, 6to4) is as public as the IPv4
    address it leads to; Python's `is_global` judges only the IPv6 prefix.
    """
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped:
            return is_public(address.ipv4_mapped)
        if address in _NAT64:
            return is_public(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
        if address.sixtofour is not None and address in _SIX_TO_FOUR:
            return is_public(address.sixtofour)
        if any(address in network for network in _REFUSED_V6):
            return False
    return address.is_global and not address.is_multicast
