"""The access decision's rules: bearer parsing, generations, allowlist, state, product."""

from __future__ import annotations

import ipaddress
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from jpay_server.domain.access import (
    AppAccess,
    bearer_token,
    check_caller,
    check_live_token,
    check_product,
)
from jpay_server.domain.allowlists import Allowlist
from jpay_server.domain.apps import RefreshPolicy
from jpay_server.domain.credentials import SecretRecord
from jpay_server.domain.merchants import MerchantStatus
from jpay_server.errors import JPayError

NOW = datetime(2026, 11, 28, tzinfo=UTC)
ACCESS = AppAccess(
    app_code=1,
    app_key="k",
    merchant_id=2,
    merchant_status=MerchantStatus.APPROVED,
    active=True,
    products=frozenset({"collections"}),
    allowlist=Allowlist(),
    secrets=(SecretRecord(1, b"x" * 32, NOW, None),),
    refresh_policy=RefreshPolicy.ROTATE,
)


def code(call: object, *args: object) -> str:
    assert callable(call)
    with pytest.raises(JPayError) as caught:
        call(*args)
    return caught.value.code


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ([], "not_authenticated"),
        ([""], "not_authenticated"),
        (["Basic dXNlcjpwYXNz"], "invalid_authorization_header"),
        (["Bearer"], "invalid_authorization_header"),
        (["Bearer "], "invalid_authorization_header"),
        (["Bearer a b"], "invalid_authorization_header"),
        (["Bearer a\x00b"], "invalid_authorization_header"),
        (["Bearer tok", "Bearer tok"], "invalid_authorization_header"),
        (["Bearer " + "a" * 5000], "invalid_authorization_header"),
    ],
)
def test_bad_authorization_headers(headers: list[str], expected: str) -> None:
    assert code(bearer_token, headers) == expected


@pytest.mark.parametrize(
    "header", ["Bearer abc.def.ghi", "bearer abc.def.ghi", "BEARER  abc.def.ghi"]
)
def test_scheme_is_case_insensitive(header: str) -> None:
    assert bearer_token([header]) == "abc.def.ghi"


def test_revoked_family_and_ended_generation_are_401_revoked() -> None:
    assert code(check_live_token, ACCESS, 1, True, NOW) == "token_revoked"
    assert code(check_live_token, ACCESS, 2, False, NOW) == "token_revoked"
    check_live_token(ACCESS, 1, False, NOW)


def test_generation_lives_through_its_overlap_only() -> None:
    ending = SecretRecord(1, b"x" * 32, NOW, NOW + timedelta(seconds=60))
    access = replace(ACCESS, secrets=(ending, SecretRecord(2, b"y" * 32, NOW, None)))
    check_live_token(access, 1, False, NOW + timedelta(seconds=59))
    assert code(check_live_token, access, 1, False, NOW + timedelta(seconds=60)) == "token_revoked"


def test_allowlist_comes_before_merchant_state() -> None:
    locked = replace(
        ACCESS,
        allowlist=Allowlist.of(["10.0.0.0/8"]),
        merchant_status=MerchantStatus.SUSPENDED,
    )
    assert code(check_caller, locked, ipaddress.ip_address("192.0.2.1")) == "ip_not_allowed"
    assert code(check_caller, locked, ipaddress.ip_address("10.1.2.3")) == "account_suspended"
    assert code(check_caller, locked, None) == "ip_not_allowed"


def test_state_codes_in_order() -> None:
    ip = ipaddress.ip_address("192.0.2.1")
    pending = replace(ACCESS, merchant_status=MerchantStatus.PENDING, active=False)
    assert code(check_caller, pending, ip) == "merchant_not_approved"
    assert code(check_caller, replace(ACCESS, active=False), ip) == "app_inactive"
    check_caller(ACCESS, ip)


def test_product_is_checked_against_live_products() -> None:
    assert code(check_product, ACCESS, "payouts") == "product_not_enabled"
    check_product(ACCESS, "collections")
    check_product(ACCESS, None)
