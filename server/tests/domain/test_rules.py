"""Merchants, apps, credentials, keys, allowlists, client IPs and refresh families."""

from __future__ import annotations

import ipaddress
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.exceptions import InvalidTag
from hypothesis import given
from hypothesis import strategies as st

from jpay_server.domain import allowlists, client_ip, credentials, merchants, refresh
from jpay_server.domain.apps import parse_products, parse_refresh_policy
from jpay_server.domain.keys import SigningKey, key_status
from jpay_server.domain.merchants import Merchant, MerchantStatus
from jpay_server.domain.secrets import derive_server_keys, seal, unseal
from jpay_server.errors import Conflict, InvalidRequest

NOW = datetime(2026, 11, 28, tzinfo=UTC)
PEPPER = b"p" * 32


def merchant(status: MerchantStatus, approved: bool) -> Merchant:
    return Merchant(1, "m", status, NOW if approved else None, NOW)


def test_merchant_lifecycle() -> None:
    pending = merchant(MerchantStatus.PENDING, approved=False)
    approved = merchants.approve(pending, NOW)
    assert approved.status is MerchantStatus.APPROVED
    assert approved.approved_at == NOW
    suspended = merchants.suspend(approved)
    with pytest.raises(Conflict):
        merchants.approve(suspended, NOW)
    assert merchants.reinstate(suspended).status is MerchantStatus.APPROVED
    assert merchants.reinstate(merchants.suspend(pending)).status is MerchantStatus.PENDING
    with pytest.raises(Conflict):
        merchants.reinstate(approved)


@pytest.mark.parametrize("name", ["", "   ", "x" * 201, "bad\nname"])
def test_bad_names(name: str) -> None:
    with pytest.raises(InvalidRequest):
        merchants.clean_name(name)


def test_products_and_policies() -> None:
    assert parse_products(["payouts", "collections", "payouts"]) == ("collections", "payouts")
    with pytest.raises(InvalidRequest):
        parse_products(["wallets"])
    with pytest.raises(InvalidRequest):
        parse_refresh_policy("sometimes")


def test_secrets_have_prefix_and_256_bits() -> None:
    import secrets as std

    secret = credentials.new_app_secret(std.token_bytes)
    assert secret.startswith("jpay_sk_")
    assert len(secret) == len("jpay_sk_") + 43
    assert credentials.new_app_key(std.token_bytes).startswith("jpay_ak_")


def test_match_secret_checks_value_and_liveness() -> None:
    live = credentials.SecretRecord(2, credentials.hash_secret(PEPPER, "new"), NOW, None)
    old = credentials.SecretRecord(
        1, credentials.hash_secret(PEPPER, "old"), NOW, NOW + timedelta(seconds=10)
    )
    assert credentials.match_secret([old, live], "new", PEPPER, NOW) == live
    assert credentials.match_secret([old, live], "old", PEPPER, NOW) == old
    assert credentials.match_secret([old, live], "old", PEPPER, NOW + timedelta(seconds=10)) is None
    assert credentials.match_secret([old, live], "nope", PEPPER, NOW) is None
    assert credentials.match_secret([], "new", PEPPER, NOW) is None
    assert credentials.match_secret([live], "new", b"q" * 32, NOW) is None  # another pepper


def test_rotation_numbers_generations_and_bounds_overlap() -> None:
    first = credentials.SecretRecord(1, b"a" * 32, NOW, None)
    record, old_ends = credentials.rotate([first], b"b" * 32, NOW, 30)
    assert record.generation == 2
    assert old_ends == NOW + timedelta(seconds=30)
    with pytest.raises(InvalidRequest):
        credentials.rotate([first], b"b" * 32, NOW, -1)


def test_key_status_follows_activation_and_the_verification_horizon() -> None:
    old = SigningKey("old", b"", NOW)
    new = SigningKey("new", b"", NOW + timedelta(days=1))
    keys, rotated = [old, new], NOW + timedelta(days=1)

    def status(key: SigningKey, at: datetime) -> str:
        return key_status(key, keys, at, 100, 10)

    assert (status(old, rotated), status(new, rotated)) == ("signing", "pending")
    active = rotated + timedelta(seconds=10)
    assert (status(old, active), status(new, active)) == ("verifying", "signing")
    assert status(old, active + timedelta(seconds=99)) == "verifying"
    assert status(old, active + timedelta(seconds=100)) == "expired"
    assert key_status(old, [old], NOW - timedelta(days=9), 100, 10) == "signing"  # the only key


def test_sealing_binds_the_context() -> None:
    keys = derive_server_keys(b"m" * 40)
    assert keys.pepper != keys.kek
    sealed = seal(keys.kek, b"secret", b"ctx", b"n" * 12)
    assert unseal(keys.kek, sealed, b"ctx") == b"secret"
    with pytest.raises(InvalidTag):
        unseal(keys.kek, sealed, b"other")
    assert "redacted" in repr(keys)


def test_allowlist_parsing_and_matching() -> None:
    with pytest.raises(InvalidRequest, match=r"did you mean 10\.0\.0\.0/24"):
        allowlists.parse_network("10.0.0.5/24")
    with pytest.raises(InvalidRequest):
        allowlists.parse_network("not-an-ip")
    entries = allowlists.add(allowlists.add((), "10.0.0.0/24"), "2001:db8::/32")
    assert allowlists.add(entries, "10.0.0.0/24") == entries
    allow = allowlists.Allowlist.of(entries)
    assert allow.allows(ipaddress.ip_address("10.0.0.200"))
    assert allow.allows(ipaddress.ip_address("2001:db8::1"))
    assert not allow.allows(ipaddress.ip_address("10.0.1.1"))
    assert allowlists.Allowlist().allows(None)
    with pytest.raises(InvalidRequest):
        allowlists.remove(entries, "192.0.2.0/24")
    assert allowlists.remove(entries, "10.0.0.0/24") == ("2001:db8::/32",)


PROXIES = (ipaddress.ip_network("10.0.0.0/8"),)


@pytest.mark.parametrize(
    ("peer", "forwarded", "proxies", "expected"),
    [
        ("192.0.2.9", ["1.2.3.4"], PROXIES, "192.0.2.9"),  # untrusted peer: XFF ignored
        ("10.0.0.1", ["1.2.3.4"], (), "10.0.0.1"),  # no trusted proxies configured
        ("10.0.0.1", ["1.2.3.4"], PROXIES, "1.2.3.4"),
        ("10.0.0.1", ["6.6.6.6, 1.2.3.4, 10.0.0.7"], PROXIES, "1.2.3.4"),  # spoofed left hop
        ("10.0.0.1", ["6.6.6.6", "1.2.3.4"], PROXIES, "1.2.3.4"),  # several headers
        ("10.0.0.1", ["1.2.3.4:5678"], PROXIES, "1.2.3.4"),  # some cloud load balancers
        ("10.0.0.1", ["[2001:db8::1]:443"], PROXIES, "2001:db8::1"),
        ("10.0.0.1", ["[2001:db8::2]"], PROXIES, "2001:db8::2"),
        ("10.0.0.1", ["6.6.6.6, 1.2.3.4:1, 10.0.0.7:80"], PROXIES, "1.2.3.4"),
        ("10.0.0.1", ["2001:db8::3"], PROXIES, "2001:db8::3"),  # bare v6 is not v6:port
        ("10.0.0.1", ["1.2.3.4:"], PROXIES, None),
        ("10.0.0.1", ["1.2.3.4:99999"], PROXIES, None),
        ("10.0.0.1", ["[1.2.3.4]:80"], PROXIES, None),
        ("10.0.0.1", ["[2001:db8::1]:x"], PROXIES, None),
        ("10.0.0.1", ["junk"], PROXIES, None),
        ("10.0.0.1", [], PROXIES, "10.0.0.1"),
        ("::ffff:192.0.2.1", [], (), "192.0.2.1"),
        (None, [], (), None),
    ],
)
def test_client_ip(
    peer: str | None, forwarded: list[str], proxies: tuple[object, ...], expected: str | None
) -> None:
    found = client_ip.resolve(peer, forwarded, proxies)  # type: ignore[arg-type]
    assert (str(found) if found else None) == expected


def test_family_end_caps_expiry() -> None:
    ends = refresh.family_end(NOW, 100)
    assert refresh.expiry(NOW + timedelta(seconds=90), 100, ends) == ends
    assert refresh.expiry(NOW, 50, ends) == NOW + timedelta(seconds=50)


def test_used_token_is_a_replay_only_in_grace_with_unused_successor() -> None:
    used = NOW
    assert (
        refresh.classify_used(used, False, NOW + timedelta(seconds=30), 30)
        is refresh.SecondUse.REPLAY
    )
    assert (
        refresh.classify_used(used, False, NOW + timedelta(seconds=31), 30)
        is refresh.SecondUse.THEFT
    )
    assert refresh.classify_used(used, True, NOW, 30) is refresh.SecondUse.THEFT


@given(st.text(max_size=60))
def test_client_ip_parsing_never_raises(text: str) -> None:
    client_ip.resolve("10.0.0.1", [text], PROXIES)
