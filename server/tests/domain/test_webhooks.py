"""Webhook rules: the retry schedule, Retry-After, 410, and where we may POST."""

from __future__ import annotations

import ipaddress
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jpay_server.domain.webhooks import (
    Delivery,
    EventStatus,
    after_attempt,
    check_callback_url,
    is_public,
    new_secret,
    parse_retry_after,
)
from jpay_server.errors import InvalidRequest

NOW = datetime(2026, 11, 28, 12, tzinfo=UTC)
SCHEDULE = (0.0, 5.0, 300.0)


def delivery(code: int | None, retry_after: float | None = None) -> Delivery:
    return Delivery(code, None if code else "timeout", retry_after, 10)


def test_success_gone_and_retries() -> None:
    assert after_attempt(1, delivery(204), SCHEDULE, NOW, 0) == (EventStatus.DELIVERED, None)
    assert after_attempt(1, delivery(410), SCHEDULE, NOW, 0) == (EventStatus.GONE, None)
    assert after_attempt(1, delivery(500), SCHEDULE, NOW, 0) == (
        EventStatus.PENDING,
        NOW + timedelta(seconds=5),
    )
    assert after_attempt(2, delivery(None), SCHEDULE, NOW, 0)[1] == NOW + timedelta(seconds=300)
    assert after_attempt(3, delivery(302), SCHEDULE, NOW, 0) == (EventStatus.FAILED, None)


def test_retry_after_is_honoured_when_longer_and_capped() -> None:
    assert after_attempt(1, delivery(429, 60), SCHEDULE, NOW, 0)[1] == NOW + timedelta(seconds=60)
    assert after_attempt(1, delivery(503, 1), SCHEDULE, NOW, 0)[1] == NOW + timedelta(seconds=5)
    far = after_attempt(1, delivery(503, 10**9), SCHEDULE, NOW, 0)[1]
    assert far == NOW + timedelta(days=1)


@given(st.floats(-1, 1))
def test_jitter_stays_within_ten_percent(jitter: float) -> None:
    _, when = after_attempt(2, delivery(500), SCHEDULE, NOW, jitter)
    assert when is not None
    assert 270 <= (when - NOW).total_seconds() <= 330


def test_retry_after_parsing() -> None:
    assert parse_retry_after("120", NOW) == 120
    assert parse_retry_after("Sat, 28 Nov 2026 12:01:00 GMT", NOW) == 60
    assert parse_retry_after("soon", NOW) is None
    assert parse_retry_after(None, NOW) is None


@pytest.mark.parametrize(
    "url",
    ["https://merchant.example.com/hook", "https://8.8.8.8/hook", "https://shop.co.ke:8443/a?b=1"],
)
def test_public_https_urls_are_fine_everywhere(url: str) -> None:
    assert check_callback_url(url, allow_private=False) == url


@pytest.mark.parametrize(
    "url",
    [
        "http://merchant.example.com/hook",  # not https
        "https://127.0.0.1/hook",
        "https://10.1.2.3/hook",
        "https://169.254.169.254/latest/meta-data",  # cloud metadata
        "https://[::1]/hook",
        "https://[::ffff:10.0.0.1]/hook",
        "https://localhost/hook",
        "https://db.internal/hook",
        "https://printer.local/hook",
        "https://user:pass@merchant.example.com/hook",
        "https://intranet/hook",
        "ftp://merchant.example.com/",
        "https://merchant.example.com:0/",
        "not a url",
        "https://merchant.example.com/" + "a" * 2048,
    ],
)
def test_ssrf_targets_are_refused_in_production(url: str) -> None:
    with pytest.raises(InvalidRequest, match="public https URL"):
        check_callback_url(url, allow_private=False)


def test_development_allows_local_receivers() -> None:
    assert check_callback_url("http://127.0.0.1:9000/hook", allow_private=True)
    with pytest.raises(InvalidRequest, match="absolute http"):
        check_callback_url("ftp://x/", allow_private=True)


@pytest.mark.parametrize("bad", ["\x1b[31m", "\x9b2J", "\u202e", "\x00", "\x7f", "\r\n"])
@pytest.mark.parametrize("allow_private", [True, False])
def test_control_characters_are_refused_everywhere(bad: str, allow_private: bool) -> None:
    with pytest.raises(InvalidRequest, match="callback_url must be"):
        check_callback_url(f"https://merchant.example.com/{bad}x", allow_private=allow_private)


def test_public_addresses() -> None:
    assert is_public(ipaddress.ip_address("8.8.8.8"))
    for private in (
        "10.0.0.1",
        "192.168.1.1",
        "127.0.0.1",
        "169.254.1.1",
        "::1",
        "fc00::1",
        "224.0.0.1",
    ):
        assert not is_public(ipaddress.ip_address(private))


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("64:ff9b::a00:1", False),  # NAT64 of 10.0.0.1
        ("64:ff9b::7f00:1", False),  # NAT64 of 127.0.0.1
        ("64:ff9b::a9fe:a9fe", False),  # NAT64 of 169.254.169.254 (cloud metadata)
        ("64:ff9b::808:808", True),  # NAT64 of 8.8.8.8
        ("64:ff9b:1::808:808", False),  # local-use NAT64 (RFC 8215): never public
        ("2002:a00:1::1", False),  # 6to4 of 10.0.0.1
        ("2002:7f00:1::", False),  # 6to4 of 127.0.0.1
        ("2002:808:808::1", True),  # 6to4 of 8.8.8.8
        ("::a00:1", False),  # IPv4-compatible 10.0.0.1
        ("::7f00:1", False),  # IPv4-compatible 127.0.0.1
        ("::808:808", False),  # IPv4-compatible: deprecated (RFC 4291 §2.5.5.1), refused
        ("::ffff:0:a00:1", False),  # IPv4-translated (RFC 2765)
        ("2606:4700:4700::1111", True),
    ],
)
def test_ipv6_ranges_that_embed_ipv4_are_judged_by_the_ipv4_address(
    address: str, public: bool
) -> None:
    assert is_public(ipaddress.ip_address(address)) is public
    url = f"https://[{address}]/hook"
    if public:
        assert check_callback_url(url, allow_private=False) == url
    else:
        with pytest.raises(InvalidRequest):
            check_callback_url(url, allow_private=False)


def test_secrets_follow_standard_webhooks() -> None:
    import base64
    import secrets

    secret = new_secret(secrets.token_bytes)
    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret[6:])) == 32
